export * from './types.js';
export { createKafkajsClient } from './kafkajs.js';
export { retryingAdmin, type RetryingAdminOptions } from './retrying-admin.js';
