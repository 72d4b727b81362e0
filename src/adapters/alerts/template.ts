import { TemplateError } from './errors.js';

/**
 * A tiny template language for the email bodies:
 *   {{name}}                 the value of `name` (HTML-escaped in HTML templates)
 *   {{#list}} … {{/list}}    repeated for each item of the array `list`; inside, {{field}}
 *                            reads the item first, then the outer values (no nesting)
 * A placeholder without a value is an error that lists the available names.
 */
export type TemplateValue = string | number | boolean | null | undefined;
export type TemplateContext = Record<string, TemplateValue | Record<string, TemplateValue>[]>;

const SECTION = /\{\{#\s*([A-Za-z_][\w]*)\s*\}\}([\s\S]*?)\{\{\/\s*\1\s*\}\}/g;
const VALUE = /\{\{\s*([A-Za-z_][\w]*)\s*\}\}/g;

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface RenderOptions {
  /** HTML-escape every value (for HTML bodies). */
  html: boolean;
  /** Names the template in errors (file path). */
  name: string;
}

export function renderTemplate(source: string, context: TemplateContext, options: RenderOptions): string {
  const withSections = source.replace(SECTION, (_whole, listName: string, body: string) => {
    const list = context[listName];
    if (!Array.isArray(list)) throw unknownName(options.name, `#${listName}`, context, 'is not a list');
    return list.map((item) => fill(body, { ...context, ...item }, options)).join('');
  });
  return fill(withSections, context, options);
}

function fill(source: string, context: TemplateContext, options: RenderOptions): string {
  return source.replace(VALUE, (_whole, name: string) => {
    if (!(name in context)) throw unknownName(options.name, name, context, 'has no value');
    const value = context[name];
    if (Array.isArray(value)) throw unknownName(options.name, name, context, `is a list: use {{#${name}}}…{{/${name}}}`);
    const text = value === null || value === undefined ? '' : String(value);
    return options.html ? escapeHtml(text) : text;
  });
}

function unknownName(template: string, name: string, context: TemplateContext, problem: string): TemplateError {
  const available = Object.keys(context).sort().join(', ');
  return new TemplateError(`template ${template}: placeholder {{${name}}} ${problem}. Available: ${available}`, {
    context: { path: template, field: name },
  });
}
