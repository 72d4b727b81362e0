import { describe, expect, it } from 'vitest';
import { TemplateError } from '../../../../src/adapters/alerts/errors.js';
import { escapeHtml, renderTemplate } from '../../../../src/adapters/alerts/template.js';
import { EMAIL_TEMPLATE_FILES, loadEmailTemplates } from '../../../../src/adapters/alerts/templates.js';

describe('renderTemplate', () => {
  it('fills placeholders, escaping values in HTML only', () => {
    const ctx = { model: '<b>risk & co</b>', n: 3 };
    expect(renderTemplate('<p>{{model}} {{ n }}</p>', ctx, { html: true, name: 't.html' })).toBe('<p>&lt;b&gt;risk &amp; co&lt;/b&gt; 3</p>');
    expect(renderTemplate('{{model}} {{n}}', ctx, { html: false, name: 't.txt' })).toBe('<b>risk & co</b> 3');
  });

  it('repeats a section per list item, items first then outer values', () => {
    const ctx = {
      model: 'm',
      rows: [
        { name: 'a"', score: '0.500' },
        { name: 'b', score: '0.400' },
      ],
    };
    expect(renderTemplate('{{#rows}}[{{name}}={{score}}@{{model}}]{{/rows}}', ctx, { html: true, name: 't' })).toBe('[a&quot;=0.500@m][b=0.400@m]');
    expect(renderTemplate('x{{#rows}}y{{/rows}}z', { rows: [] }, { html: false, name: 't' })).toBe('xz');
  });

  it('names the template, the placeholder and the choices when a value is missing', () => {
    const render = () => renderTemplate('{{modle}}', { model: 'm', score: 1 }, { html: false, name: 'drift-alert.txt' });
    expect(render).toThrow(TemplateError);
    expect(render).toThrow('template drift-alert.txt: placeholder {{modle}} has no value. Available: model, score');
  });

  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('shipped email templates', () => {
  it('are all present in config/templates', () => {
    const t = loadEmailTemplates('config/templates');
    for (const file of EMAIL_TEMPLATE_FILES) expect(t[file].source.length).toBeGreaterThan(50);
  });

  it('a missing directory is reported with the paths looked at', () => {
    expect(() => loadEmailTemplates('no/such/dir')).toThrow(/templates directory "no\/such\/dir" not found \(looked in .*\); set ALERT_TEMPLATES_DIR/);
  });
});
