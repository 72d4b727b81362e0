import type { Evaluation } from '../../core/detect/evaluation.js';
import { SUCCESS, type EvaluationExporter, type ExportResult } from '../../runtime/ports.js';

const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3));
const hhmm = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');

/**
 * One readable line per model and window: when, how many events, the highest score, and which
 * features drifted; state changes stand out.
 */
export class ConsoleExporter implements EvaluationExporter {
  readonly name = 'console';

  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n')) {}

  async export(evaluation: Evaluation): Promise<ExportResult> {
    for (const mc of evaluation.checks) this.write(formatLine(evaluation, mc));
    return SUCCESS;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

export function formatLine(evaluation: Evaluation, mc: Evaluation['checks'][number]): string {
  const { check } = mc;
  const window = `${hhmm(evaluation.windowStart)} → ${hhmm(evaluation.windowEnd).slice(11)}`;
  const head = `${window}  ${mc.model} ${mc.modelVersion}  n=${String(check.sample_count).padStart(5)}  max ${check.metric} ${fmt(check.max_drift_score).padStart(6)}`;
  if (check.status === 'insufficient_samples') return `${head}  insufficient samples: no decision`;
  const drifted = Object.entries(check.drifted_features)
    .sort((a, b) => b[1] - a[1])
    .map(([name, score]) => {
      const reasons = check.features[name].reasons;
      return reasons.includes('missing_rate') && !reasons.includes('score') ? `${name} (missing ${fmt(check.features[name].missing_rate)})` : `${name} ${fmt(score)}`;
    });
  // The model's outputs that drifted, after the features (docs/references-and-check.md, "Model outputs").
  for (const [name, score] of Object.entries(check.drifted_outputs ?? {}).sort((a, b) => b[1] - a[1])) {
    const reasons = check.outputs![name].reasons;
    drifted.push(
      reasons.includes('missing_rate') && reasons.length === 1 ? `${name} (output, missing ${fmt(check.outputs![name].missing_rate)})` : `${name} (output) ${fmt(score)}`,
    );
  }
  // The multivariate score, last (docs/multivariate.md).
  if (check.multivariate?.drifted) drifted.push(`multivariate MMD² ${check.multivariate.score!.toPrecision(3)} (p ${check.multivariate.p_value!.toPrecision(2)})`);
  const marker = mc.change === 'drift_detected' ? '  ▲ DRIFT DETECTED' : mc.change === 'drift_resolved' ? '  ▼ drift resolved' : '';
  const status = check.drift_detected ? `drifted: ${drifted.join(', ')}` : 'ok';
  return `${head}  ${status}${marker}`;
}
