// docs/architecture.md, "Layering": imports run core → runtime → adapters → app, kafkajs stays
// behind its adapter, and no module is part of a cycle. The rules are dependency-cruiser's
// (.dependency-cruiser.cjs, also run by `npm run lint:deps` in CI); this test runs the same
// rules over every file of src/ and fails on any violation, naming it.
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('layering', () => {
  it('every import in src/ follows the rules of .dependency-cruiser.cjs', async () => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const { default: config } = (await import(`${root}.dependency-cruiser.cjs`)) as { default: { forbidden: unknown[]; options: Record<string, unknown> } };
      const { tsConfig: _tsConfig, ...options } = config.options;
      const result = (await cruise(['src'], { ...options, validate: true, ruleSet: { forbidden: config.forbidden } } as never)).output as ICruiseResult;
      const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
      expect(violations).toEqual([]);
      expect(result.summary.totalCruised).toBeGreaterThan(100);
    } finally {
      process.chdir(cwd);
    }
  });
});
