import { describe, expect, it } from 'vitest';
import { DriftDetector, accumulate } from '../../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { renderIndex, renderReport } from '../../../../src/adapters/report/index.js';
import { startHttpServer } from '../../../../src/adapters/http/server.js';
import { Registry } from 'prom-client';

const EVIL = '<script>alert(1)</script>';

function fixture() {
  const training = Array.from({ length: 500 }, (_, i) => ({ [`x"${EVIL}`]: i % 97, kind: ['a', 'b', 'c'][i % 3] }));
  const reference = ReferenceDistribution.fromRows(training, { featureNames: Object.keys(training[0]), categorical: ['kind'], modelVersion: EVIL });
  const rows = Array.from({ length: 300 }, (_, i) => ({ [`x"${EVIL}`]: (i % 97) + 40, kind: i % 2 ? EVIL : 'a' }));
  const current = accumulate(rows, reference);
  const check = new DriftDetector({ now: () => new Date(0) }).evaluate(current, reference);
  return { reference, current, check };
}

describe('renderReport', () => {
  const { reference, current, check } = fixture();
  const html = renderReport({ model: EVIL, modelVersion: EVIL, check, features: reference.features, referenceRows: reference.rowCount, current, generatedAt: new Date(0) });

  it('renders feature names, categories and model names as text: no injected script element', () => {
    expect(html).not.toContain(EVIL);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The one script element is the page's own sorting script.
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('draws reference and current bars per PSI bin and per category, with the unseen category marked', () => {
    const numericBins = (reference.features[0] as { psiEdges: Float64Array }).psiEdges.length + 1;
    const bars = html.match(/<rect class="bar (reference|current)/g) ?? [];
    // numeric: 2 per PSI bin; categorical: 2 per category (a, b, c and the unseen one).
    expect(bars).toHaveLength(2 * numericBins + 2 * 4);
    expect(html.match(/<rect class="bar current unseen"/g)).toHaveLength(1);
    expect(html.match(/<line class="ks-gap"/g)).toHaveLength(1);
    expect(html.match(/<path class="line (reference|current)"/g)).toHaveLength(2);
  });

  it('loads nothing from the network: no src or external href, and a CSP that forbids it', () => {
    expect(html).not.toMatch(/\ssrc=|https?:\/\//);
    expect(html).toContain('default-src &#39;none&#39;');
  });
});

describe('the service pages', () => {
  it('escapes model names on /, answers 404 for an unknown model and keeps path parameters out of HTML', async () => {
    const index = renderIndex([{ model: EVIL, modelVersion: 'v1', state: 'drifting', lastCheck: 't', windowEnd: 't', rows: 1, maxScore: 1, drifted: 1 }], 10);
    expect(index).not.toContain(EVIL);
    expect(index).toContain(`href="report/${encodeURIComponent(EVIL)}/v1"`);
    const http = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      status: { readiness: async () => ({}), drift: () => ({}) },
      pages: { contentSecurityPolicy: "default-src 'none'", index: () => index, report: (m, v) => (m === 'known' && v === 'v1' ? '<p>ok</p>' : undefined) },
    });
    try {
      const base = `http://127.0.0.1:${http.port}`;
      const home = await fetch(`${base}/`);
      expect(home.status).toBe(200);
      expect(home.headers.get('content-type')).toMatch(/text\/html/);
      expect(home.headers.get('content-security-policy')).toBe("default-src 'none'");
      expect((await fetch(`${base}/report/known/v1`)).status).toBe(200);
      const unknown = await fetch(`${base}/report/${encodeURIComponent(EVIL)}/v1`);
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toMatch(/text\/plain/);
      expect((await fetch(`${base}/report/%E0%A4%A/v1`)).status).toBe(400);
      expect((await fetch(`${base}/report/only-one`)).status).toBe(404);
    } finally {
      await http.close();
    }
  });
});
