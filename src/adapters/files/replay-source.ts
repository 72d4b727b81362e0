import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Pipeline } from '../../runtime/pipeline.js';
import type { SourceMessage } from '../../runtime/ports.js';
import { InputError } from '../../core/errors.js';

/**
 * A recorded stream as a source: JSON Lines of prediction events, read in order. Each line is
 * a message of partition 0 whose offset is its line index; events must carry `timestamp`
 * (there is no record timestamp to fall back on). Lines are handed over as text, which the
 * event decoder encodes and reads on the same fast path as Kafka's bytes. At the end of the file the watermark moves
 * past the last event, so the last windows are evaluated.
 */
export async function replayFile(path: string, pipeline: Pipeline, options: { chunkSize?: number; signal?: AbortSignal } = {}): Promise<{ lines: number }> {
  const chunkSize = options.chunkSize ?? 1000;
  let stream;
  try {
    stream = createReadStream(path, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => {
      stream!.once('open', () => resolve());
      stream!.once('error', reject);
    });
  } catch (cause) {
    throw new InputError(`${path}: cannot read the recorded stream (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause, context: { path } });
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  pipeline.assignPartitions([0]);
  let chunk: SourceMessage[] = [];
  let index = 0;
  for await (const line of lines) {
    if (options.signal?.aborted) break;
    const offset = index++;
    if (line.trim() === '') {
      pipeline.skip(0, offset);
      continue;
    }
    chunk.push({ topic: path, partition: 0, offset, timestampMs: Number.NaN, key: null, value: line, headers: {} });
    if (chunk.length >= chunkSize) {
      await pipeline.ingest(chunk);
      await pipeline.runDue();
      chunk = [];
    }
  }
  if (chunk.length > 0) await pipeline.ingest(chunk);
  if (!options.signal?.aborted) pipeline.endOfInput();
  await pipeline.runDue();
  return { lines: index };
}
