import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ReferenceFileError } from '../../core/errors.js';
import { ReferenceDistribution } from '../../core/reference/index.js';

/** The only file I/O of the reference module: read and atomically write the JSON file. */
export async function readReferenceFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ReferenceFileError(`${path}: cannot read the reference distribution (${code ?? String(cause)})`, { cause, context: { path } });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ReferenceFileError(`${path}: the reference distribution is not valid JSON (${(cause as Error).message})`, { cause, context: { path } });
  }
}

export async function saveReferenceFile(path: string, data: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(data, null, 1) + '\n');
  await rename(temporary, path);
}

/** Reads a saved reference distribution; a problem names the file and the field. */
export async function loadReference(path: string): Promise<ReferenceDistribution> {
  return ReferenceDistribution.fromJSON(await readReferenceFile(path), path);
}

/** Writes a reference distribution atomically (a temporary file renamed into place). */
export async function saveReference(reference: ReferenceDistribution, path: string): Promise<void> {
  await saveReferenceFile(path, reference.toJSON());
}
