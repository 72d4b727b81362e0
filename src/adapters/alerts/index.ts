// The alerts module: drift events in, Slack / email / webhook / retraining calls out.
export * from './alert.js';
export * from './channels/index.js';
export * from './config.js';
export * from './consumer.js';
export * from './create.js';
export * from './delivery.js';
export * from './dispatcher.js';
export * from './policy.js';
export { AlertDeliveryError, TemplateError } from './errors.js';
export { Redactor, redactUrl, safeErrorInfo, sanitizeError } from './redact.js';
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody, verifySignature } from './signature.js';
