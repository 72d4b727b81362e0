// Holds a dashboard JSON against Grafana's own dashboard schema: the `Dashboard` type of
// @grafana/schema (the version pinned in package.json, that of the compose file's Grafana).
// The package ships TypeScript types only, no runtime validator, so the check is the type
// checker's: the JSON is embedded as object literals in a virtual module
//
//   import type { Dashboard } from '@grafana/schema';
//   export const d_0 = (<the JSON minus panels and variables>) satisfies Json<Omit<Dashboard, 'panels' | 'templating'>>;
//   export const d_1 = (<a panel>) satisfies Json<NonNullable<Dashboard['panels']>[number]>;  … one per panel and variable
//
// and compiled with the TypeScript compiler API. `satisfies` on a fresh literal reports
// properties the schema does not have (excess property checks) as well as missing or mistyped
// ones. `Json<T>` turns the schema's string enums (ThresholdsMode, MappingType, …) into the
// string literals JSON holds; numeric enums (VariableRefresh, …) accept their number values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './dashboard.js';

export const GRAFANA_SCHEMA_VERSION: string = (JSON.parse(readFileSync(join(repoRoot, 'node_modules/@grafana/schema/package.json'), 'utf8')) as { version: string }).version;

type Segment = { label: string; type: string; value: unknown };

const JSON_TYPE =
  'type Json<T> = T extends string ? `${T}` : T extends number | boolean | null | undefined ? T : T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;';

/**
 * A dashboard in pieces, each checked on its own (the checker reports the first problem of
 * one literal only): every templating variable, every top-level panel (a row with the panels
 * it holds), and the rest of the dashboard.
 */
function segments(name: string, dashboard: Record<string, unknown>): Segment[] {
  const { panels, templating, ...rest } = dashboard as { panels?: Array<{ title?: string }>; templating?: { list?: Array<{ name?: string }> } };
  const out: Segment[] = [{ label: name, type: "Omit<Dashboard, 'panels' | 'templating'>", value: rest }];
  if (templating !== undefined) {
    const { list, ...other } = templating;
    out.push({ label: `${name} templating`, type: "Omit<NonNullable<Dashboard['templating']>, 'list'>", value: other });
    (list ?? []).forEach((v, i) => out.push({ label: `${name} variable ${v.name ?? i}`, type: "NonNullable<NonNullable<Dashboard['templating']>['list']>[number]", value: v }));
  }
  (panels ?? []).forEach((p, i) => out.push({ label: `${name} panel "${p.title ?? i}"`, type: "NonNullable<Dashboard['panels']>[number]", value: p }));
  return out;
}

/**
 * Type errors of each dashboard (name → its JSON text) against @grafana/schema's Dashboard,
 * as `<name> panel "<title>": <message>` (or `variable <name>`). One compilation for all.
 */
export function dashboardSchemaErrors(dashboards: Record<string, string>): Record<string, string[]> {
  const file = join(repoRoot, 'test/unit/compose/__dashboard_schema_check__.ts');
  const lines = ["import type { Dashboard } from '@grafana/schema';", JSON_TYPE];
  const where: Array<{ offset: number; name: string; label: string }> = [];
  const offset = () => lines.reduce((n, l) => n + l.length + 1, 0);
  for (const [name, text] of Object.entries(dashboards)) {
    for (const [i, seg] of segments(name, JSON.parse(text) as Record<string, unknown>).entries()) {
      where.push({ offset: offset(), name, label: seg.label });
      const body = JSON.stringify(seg.value, null, 2);
      lines.push(`export const ${name.replace(/\W/g, '_')}_${i} = (${body}) satisfies Json<${seg.type}>;`);
    }
  }
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === file ? ts.createSourceFile(name, source, languageVersion, true) : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));
  const program = ts.createProgram([file], options, host);
  const diagnostics = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics(), ...program.getGlobalDiagnostics()];
  const out: Record<string, string[]> = Object.fromEntries(Object.keys(dashboards).map((n) => [n, []]));
  for (const d of diagnostics) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file?.fileName !== file || d.start === undefined) {
      for (const n of Object.keys(out)) out[n]!.push(`${d.file?.fileName ?? '(global)'}: ${text}`);
      continue;
    }
    let k = 0;
    while (k + 1 < where.length && where[k + 1]!.offset <= d.start) k++;
    const w = where[k]!;
    out[w.name]!.push(`${w.label}: ${text}`);
  }
  return out;
}
