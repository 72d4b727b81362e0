export * from './types.js';
export { createKafkajsClient } from './kafkajs.js';
