import type { Logger } from 'pino';
import type { Admin } from './types.js';

/**
 * An Admin whose calls are asked again while the broker answers with a retriable error
 * (docs/windows-and-delivery.md, "The streaming monitor"). Instances started together race to create the
 * same topics: the losers find a topic created before its partition leaders are elected, and
 * its offsets, configuration or listing then answer a retriable "not the leader" or "leader not
 * available", which used to stop an instance at start. Each call is tried `attempts` times at
 * most, waiting 300 ms, 600 ms, … between tries (about 10 s for the default 8); an error that is
 * not retriable, or the last one, is thrown as it came.
 */
export interface RetryingAdminOptions {
  logger: Logger;
  /** Tries per call, default 8. */
  attempts?: number;
  /** Waits between tries (default: the wall clock); tests pass a virtual one. */
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_ATTEMPTS = 8;
const STEP_MS = 300;

export function retryingAdmin(admin: Admin, options: RetryingAdminOptions): Admin {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  async function retried<T>(call: string, run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (attempt >= attempts || (error as { retriable?: boolean }).retriable !== true) throw error;
        const waitMs = STEP_MS * attempt;
        options.logger.warn({ call, attempt, retryInMs: waitMs, err: (error as Error).message }, 'Kafka admin call failed with a retriable error; asking again');
        await sleep(waitMs);
      }
    }
  }
  const topicConfig = admin.topicConfig?.bind(admin);
  return {
    ensureTopics: (topics) => retried('ensureTopics', () => admin.ensureTopics(topics)),
    ...(topicConfig ? { topicConfig: (topic: string, names: string[]) => retried('topicConfig', () => topicConfig(topic, names)) } : {}),
    listTopics: () => retried('listTopics', () => admin.listTopics()),
    topicOffsets: (topic) => retried('topicOffsets', () => admin.topicOffsets(topic)),
    disconnect: () => admin.disconnect(),
  };
}
