import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TemplateError } from './errors.js';

/** The repository (or installed package) root: config/templates ships with the package. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const EMAIL_TEMPLATE_FILES = ['drift-alert.html', 'drift-alert.txt', 'drift-resolved.html', 'drift-resolved.txt'] as const;
export type EmailTemplateFile = (typeof EMAIL_TEMPLATE_FILES)[number];

/**
 * An absolute templates directory: as given when absolute; a relative one is looked up in the
 * working directory first, then in the driftwatch package (where the defaults ship).
 */
export function resolveTemplatesDir(dir: string): string {
  if (isAbsolute(dir)) return dir;
  const candidates = [resolve(process.cwd(), dir), resolve(PACKAGE_ROOT, dir)];
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new TemplateError(`templates directory "${dir}" not found (looked in ${candidates.join(', ')}); set ALERT_TEMPLATES_DIR`, {
      context: { path: dir },
    });
  }
  return found;
}

export function loadEmailTemplates(dir: string): Record<EmailTemplateFile, { path: string; source: string }> {
  const root = resolveTemplatesDir(dir);
  const out = {} as Record<EmailTemplateFile, { path: string; source: string }>;
  for (const file of EMAIL_TEMPLATE_FILES) {
    const path = join(root, file);
    try {
      out[file] = { path, source: readFileSync(path, 'utf8') };
    } catch (error) {
      throw new TemplateError(`cannot read email template ${path}: ${(error as Error).message}. Needed: ${EMAIL_TEMPLATE_FILES.join(', ')}`, {
        cause: error,
        context: { path },
      });
    }
  }
  return out;
}
