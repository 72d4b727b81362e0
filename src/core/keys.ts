/**
 * The one key of a (model, version) pair in maps and state stores. A NUL byte cannot occur in
 * either name as it reaches us (JSON strings may carry it escaped: `parseModelVersionKey`
 * splits at the first NUL, and the model name is the part before it).
 */
export function modelVersionKey(model: string, modelVersion: string): string {
  return `${model}\u0000${modelVersion}`;
}

export function parseModelVersionKey(key: string): [model: string, modelVersion: string] {
  const at = key.indexOf('\u0000');
  return at < 0 ? [key, ''] : [key.slice(0, at), key.slice(at + 1)];
}
