export { ReferenceDistribution } from './reference-distribution.js';
export { buildFeatures, inferType, DEFAULT_PSI_BINS, DEFAULT_FINE_BINS, type BuildOptions, type Row } from './build.js';
export { REFERENCE_SCHEMA_VERSION, READABLE_SCHEMA_VERSIONS, OUTPUT_NAMES, referenceFileSchema, type OutputName, type ReferenceFile } from './schema.js';
export * from './calibration.js';
export type { FromRowsOptions, SignalKind } from './reference-distribution.js';
