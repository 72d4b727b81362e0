/**
 * Model outputs as monitored signals (docs/references-and-check.md, "Model outputs"): a
 * reference built with `outputs` keeps them apart from the features, saves and loads them, and
 * the detector scores them with the features' machinery, reported under `outputs` with the
 * reasons prediction_drift / confidence_drift. Golden: an output's statistics equal the scipy /
 * numpy values of test/golden/generate.py for the same samples, and equal the statistics of the
 * same column built as a feature.
 */
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import { driftEventFromCheck, driftEventSchema } from '../../../../src/core/detect/drift-event.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { InputError } from '../../../../src/core/errors.js';
import { categoricalCases, numericCases, type GoldenCase } from '../../../golden/fixtures.js';
import { pointsOf } from '../../../../src/adapters/influx/exporter.js';
import { formatLine } from '../../../../src/adapters/console/exporter.js';
import type { Evaluation } from '../../../../src/core/detect/evaluation.js';
import type { CheckResult } from '../../../../src/core/detect/result.js';
import { outputRates } from '../../../calibration/false-alarms.js';

const roundTrip = (r: ReferenceDistribution) => ReferenceDistribution.fromJSON(JSON.parse(JSON.stringify(r.toJSON())), 'ref.json');

/** Rows of one input feature (a fixed cycle, identical in reference and current) and the case's values as the output. */
function rowsOf(values: readonly (number | string | null)[], output: string): Record<string, unknown>[] {
  return values.map((v, i) => ({ age: 20 + (i % 37), [output]: v }));
}

function outputCheck(c: GoldenCase) {
  const output = c.type === 'numeric' ? 'confidence' : 'prediction';
  const withOutput = roundTrip(ReferenceDistribution.fromRows(rowsOf(c.reference, output), { outputs: [output] }));
  const asFeature = roundTrip(ReferenceDistribution.fromRows(rowsOf(c.reference, output)));
  const detector = new DriftDetector({ now: () => new Date(0) });
  const current = rowsOf(c.current, output);
  return { output, withOutput, result: detector.detect(current, withOutput), featureResult: detector.detect(current, asFeature) };
}

describe.each([...numericCases(), ...categoricalCases()])('golden case $name as a model output', (c) => {
  const { output, withOutput, result, featureResult } = outputCheck(c);
  const o = result.outputs![output];

  it('is an output, not a feature', () => {
    expect(withOutput.featureNames).toEqual(['age']);
    expect(withOutput.outputNames).toEqual([output]);
    expect(Object.keys(result.features)).toEqual(['age']);
    expect(Object.keys(result.outputs!)).toEqual([output]);
  });

  it('has the statistics numpy and scipy give for the same samples', () => {
    // The tolerances of the feature goldens (docs/statistics.md): PSI, JS, Hellinger, L∞ on the
    // same bins to 1e-9; KS from the saved fine bins within 0.005 of ks_2samp, never above it.
    const e = c.expected;
    expect(Math.abs(o.psi! - e.psi)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(o.js! - e.js)).toBeLessThanOrEqual(1e-9);
    expect(o.missing_rate).toBeCloseTo(e.missing_rate, 12);
    expect(o.reference_missing_rate).toBeCloseTo(e.reference_missing_rate, 12);
    expect(o.sample_count).toBe(e.current_count);
    if (c.type === 'numeric') {
      const gap = c.expected.ks - o.ks!;
      expect(gap).toBeGreaterThanOrEqual(-1e-12);
      expect(gap).toBeLessThanOrEqual(0.005);
    } else {
      expect(Math.abs(o.chi2_pvalue! - c.expected.chi2_pvalue)).toBeLessThanOrEqual(1e-9 + 1e-6 * c.expected.chi2_pvalue);
    }
  });

  it('equals the same column scored as a feature, statistic for statistic', () => {
    const f = featureResult.features[output];
    const reasons = f.reasons.map((r) => (r === 'score' ? `${output}_drift` : r));
    expect({ ...o, reasons }).toEqual({ ...f, reasons });
    if (f.reasons.includes('score')) expect(o.reasons).toContain(`${output}_drift`);
    expect(result.drifted_outputs).toEqual(f.drifted ? { [output]: f.score ?? 0 } : {});
  });
});

describe('a reference with outputs', () => {
  const rows = Array.from({ length: 2000 }, (_, i) => ({
    age: 20 + (i % 50),
    segment: i % 3 === 0 ? 'a' : 'b',
    prediction: i % 4 === 0 ? 'approve' : 'deny',
    confidence: 0.5 + ((i * 7919) % 500) / 1000,
  }));
  const reference = ReferenceDistribution.fromRows(rows, { outputs: ['prediction', 'confidence'], modelVersion: 'v1', now: new Date(0) });

  it('keeps features and outputs apart, with the types inferred as for features', () => {
    expect(reference.featureNames).toEqual(['age', 'segment']);
    expect(reference.outputs.map((o) => [o.name, o.type])).toEqual([
      ['prediction', 'categorical'],
      ['confidence', 'numeric'],
    ]);
    expect(reference.signals.map((s) => s.name)).toEqual(['age', 'segment', 'prediction', 'confidence']);
  });

  it('saves output_names and outputs, and loads them back unchanged', () => {
    const json = reference.toJSON();
    expect(json.output_names).toEqual(['prediction', 'confidence']);
    expect(Object.keys(json.outputs!)).toEqual(['prediction', 'confidence']);
    expect(Object.keys(json.features)).toEqual(['age', 'segment']);
    expect(roundTrip(reference).toJSON()).toEqual(json);
  });

  it('without outputs the file is what it was: no output_names, no outputs, signals are the features', () => {
    const plain = ReferenceDistribution.fromRows(
      rows.map(({ age, segment }) => ({ age, segment })),
      { modelVersion: 'v1', now: new Date(0) },
    );
    expect('output_names' in plain.toJSON()).toBe(false);
    expect('outputs' in plain.toJSON()).toBe(false);
    expect(plain.signals).toBe(plain.features);
    // The features of the reference with outputs are built exactly as without them.
    expect(reference.toJSON().features).toEqual(plain.toJSON().features);
  });

  it('calibrates the outputs like the features', () => {
    const calibrated = ReferenceDistribution.fromRows(rows, { outputs: ['confidence'], calibration: { replicates: 200, sizes: [100, 500] } });
    expect(calibrated.nullQuantilesOf('confidence')).toBeDefined();
    expect(roundTrip(calibrated).toJSON().outputs!.confidence.null_quantiles).toEqual(calibrated.toJSON().outputs!.confidence.null_quantiles);
  });

  it('reports a confidence drop with unchanged inputs as confidence_drift, apart from the features', () => {
    const current = rows.map((r) => ({ ...r, confidence: r.confidence - 0.2 }));
    const result = new DriftDetector().detect(current, reference);
    expect(result.drift_detected).toBe(true);
    expect(result.drifted_features).toEqual({});
    expect(Object.keys(result.drifted_outputs!)).toEqual(['confidence']);
    expect(result.outputs!.confidence.reasons).toEqual(['confidence_drift']);
    expect(result.outputs!.prediction.drifted).toBe(false);
    expect(result.features.age.drifted).toBe(false);
    // max_drift_score is the inputs'.
    expect(result.max_drift_score).toBe(Math.max(result.features.age.score!, result.features.segment.score!));
  });

  it('reports a changed class mix as prediction_drift', () => {
    const current = rows.map((r, i) => ({ ...r, prediction: i % 4 === 0 ? 'deny' : 'approve' }));
    const result = new DriftDetector().detect(current, reference);
    expect(result.outputs!.prediction.reasons).toEqual(['prediction_drift']);
    expect(result.drift_detected).toBe(true);
  });

  it('holds outputs to their own threshold', () => {
    const current = rows.map((r) => ({ ...r, confidence: r.confidence - 0.02 }));
    const score = new DriftDetector().detect(current, reference).outputs!.confidence.score!;
    expect(score).toBeGreaterThan(0);
    const below = new DriftDetector({ outputThreshold: score * 2 }).detect(current, reference);
    const above = new DriftDetector({ outputThreshold: score / 2, threshold: 10 }).detect(current, reference);
    expect(below.outputs!.confidence.threshold).toBe(score * 2);
    expect(below.outputs!.confidence.drifted).toBe(false);
    expect(above.outputs!.confidence.drifted).toBe(true);
    expect(above.features.age.threshold).toBe(10);
    expect(() => new DriftDetector({ outputThreshold: -1 })).toThrow('outputThreshold (-1) must be a positive number or auto');
  });

  it('carries the outputs into the drift event, which validates against its schema', () => {
    const current = rows.map((r) => ({ ...r, confidence: r.confidence - 0.2 }));
    const check = new DriftDetector().detect(current, reference);
    const event = driftEventFromCheck('drift_detected', 'credit', 'v1', { start: new Date(0), end: new Date(3_600_000) }, check);
    expect(Object.keys(event.outputs!)).toEqual(['prediction', 'confidence']);
    expect(event.outputs!.confidence.reasons).toEqual(['confidence_drift']);
    expect(event.drifted_outputs).toEqual(check.drifted_outputs);
    expect(driftEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
    const plain = ReferenceDistribution.fromRows(rows.map(({ age }) => ({ age })));
    const plainEvent = driftEventFromCheck('drift_check', 'credit', 'v1', { start: new Date(0), end: new Date(1) }, new DriftDetector().detect(rows, plain));
    expect('outputs' in plainEvent).toBe(false);
    expect('drifted_outputs' in plainEvent).toBe(false);
  });

  const evaluationOf = (check: CheckResult): Evaluation => ({
    windowStart: new Date(0),
    windowEnd: new Date(3_600_000),
    closedAtWallMs: 0,
    checks: [{ model: 'credit', modelVersion: 'v1', check, change: null, state: 'drifting', lateEvents: 0, invalidEvents: 0, durationMs: 1 }],
  });

  it('writes outputs as feature_drift points tagged kind=output, features kind=feature; without outputs no kind tag', () => {
    const check = new DriftDetector().detect(
      rows.map((r) => ({ ...r, confidence: r.confidence - 0.2 })),
      reference,
    );
    const lines = pointsOf(evaluationOf(check)).map((p) => p.toLineProtocol()!);
    const heads = lines.filter((l) => l.startsWith('feature_drift,')).map((l) => l.split(' ')[0]);
    expect(heads).toEqual([
      'feature_drift,feature=age,kind=feature,model=credit,model_version=v1',
      'feature_drift,feature=segment,kind=feature,model=credit,model_version=v1',
      'feature_drift,feature=prediction,kind=output,model=credit,model_version=v1',
      'feature_drift,feature=confidence,kind=output,model=credit,model_version=v1',
    ]);
    expect(lines.find((l) => l.includes('feature=confidence'))).toContain('drifted=T');
    const checkLine = lines.find((l) => l.startsWith('drift_check,'))!;
    expect(checkLine).toContain('drifted_count=0i');
    expect(checkLine).toContain('drifted_outputs=1i');
    const plain = ReferenceDistribution.fromRows(rows.map(({ age, segment }) => ({ age, segment })));
    const plainLines = pointsOf(evaluationOf(new DriftDetector().detect(rows, plain))).map((p) => p.toLineProtocol()!);
    expect(plainLines.some((l) => l.includes('kind='))).toBe(false);
    expect(plainLines.some((l) => l.includes('drifted_outputs'))).toBe(false);
  });

  it('names drifted outputs on the console line', () => {
    const check = new DriftDetector().detect(
      rows.map((r) => ({ ...r, confidence: r.confidence - 0.2 })),
      reference,
    );
    const evaluation = evaluationOf(check);
    expect(formatLine(evaluation, evaluation.checks[0])).toMatch(/drifted: confidence \(output\) \d+\.\d{3}$/);
  });

  it('names an output absent from the current rows', () => {
    expect(() =>
      new DriftDetector().detect(
        rows.map(({ age, segment, prediction }) => ({ age, segment, prediction })),
        reference,
      ),
    ).toThrow('reference output "confidence" absent from the input');
  });
});

describe('bad outputs are named', () => {
  const rows = [
    { a: 1, prediction: 0.2 },
    { a: 2, prediction: 0.4 },
  ];
  it.each([
    [{ outputs: ['score'] }, 'unknown output "score"; outputs are prediction, confidence'],
    [{ outputs: ['prediction', 'prediction'] }, 'output "prediction" is named twice'],
    [{ outputs: ['confidence'] }, 'output "confidence" is absent from every reference row'],
  ])('%j', (options, message) => {
    expect(() => ReferenceDistribution.fromRows(rows, options)).toThrow(InputError);
    expect(() => ReferenceDistribution.fromRows(rows, options)).toThrow(message);
  });

  it('a reference of outputs only', () => {
    expect(() => ReferenceDistribution.fromRows([{ prediction: 1 }, { prediction: 2 }], { outputs: ['prediction'] })).toThrow(
      'a reference needs at least one input feature besides the outputs (prediction)',
    );
  });

  it('array rows need the outputs among their column names', () => {
    expect(() => ReferenceDistribution.fromRows([[1, 2]], { featureNames: ['a', 'b'], outputs: ['prediction'] })).toThrow(
      'output "prediction" is not among the columns of the rows (a, b)',
    );
    const r = ReferenceDistribution.fromRows(
      [
        [1, 0.5],
        [2, 0.7],
      ],
      { featureNames: ['a', 'confidence'], outputs: ['confidence'] },
    );
    expect(r.featureNames).toEqual(['a']);
    expect(r.outputNames).toEqual(['confidence']);
  });

  it('a file whose outputs do not match output_names, or overlap the features', () => {
    const json = ReferenceDistribution.fromRows(rows, { outputs: ['prediction'] }).toJSON();
    expect(() => ReferenceDistribution.fromJSON({ ...json, output_names: ['prediction', 'confidence'] }, 'r.json')).toThrow(
      'r.json: invalid reference distribution at outputs.confidence: output "confidence" is listed in output_names but has no entry',
    );
    expect(() => ReferenceDistribution.fromJSON({ ...json, output_names: ['score'] }, 'r.json')).toThrow('unknown output "score"; outputs are prediction, confidence');
    const overlap = { ...json, feature_names: ['a', 'prediction'], features: { ...json.features, prediction: json.outputs!.prediction } };
    expect(() => ReferenceDistribution.fromJSON(overlap, 'r.json')).toThrow('"prediction" is both an input feature and an output');
    const { output_names: _names, ...noNames } = json;
    expect(() => ReferenceDistribution.fromJSON(noNames, 'r.json')).toThrow('at output_names: outputs need output_names');
  });
});

describe('power of a confidence drop with unchanged inputs (test/calibration/false-alarms.ts, fewer windows)', () => {
  // Seeded windows: the counts are fixed, the test cannot flake. 20 inputs and the confidence,
  // KS auto (α 0.01, Bonferroni over 21 signals), n = 1,000, 100 windows; docs/statistics.md
  // gives 400 windows: 1.0 % false alarms, 100 % of windows with the drop.
  const rules = [{ name: 'ks auto', detector: { metric: 'ks' as const, threshold: 'auto' as const, minEffect: 0 } }];

  it('flags the confidence (and only it) in every window with the drop', () => {
    const [drop] = outputRates({ features: 20, n: 1000, windows: 100, change: 'confidence', rules });
    expect(drop.rate).toBe(1);
    expect(drop.outputRate).toBe(1);
  });

  it('stays within α + 3 standard errors on stationary windows, outputs monitored', () => {
    const [stationary] = outputRates({ features: 20, n: 1000, windows: 100, change: 'none', rules });
    expect(stationary.rate).toBeLessThanOrEqual(0.01 + 3 * Math.sqrt((0.01 * 0.99) / 100));
  });
});
