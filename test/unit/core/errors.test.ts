import { describe, expect, it } from 'vitest';
import { AlertDeliveryError, TemplateError } from '../../../src/adapters/alerts/errors.js';
import { ConfigError, DriftwatchError, InputError, ReferenceFileError, SinkError } from '../../../src/core/errors.js';
import { isRetriable } from '../../../src/runtime/retry.js';

describe('the error tree: one rule for retriable', () => {
  it('input, configuration, reference and template errors are never retriable', () => {
    for (const error of [new ConfigError('c'), new InputError('i'), new ReferenceFileError('r'), new TemplateError('t')]) {
      expect(error.retriable, error.name).toBe(false);
      expect(isRetriable(error), error.name).toBe(false);
    }
  });

  it('sink and alert delivery errors carry the flag their caller gave', () => {
    expect(new SinkError('503', { retriable: true }).retriable).toBe(true);
    expect(new SinkError('bad path', { retriable: false }).retriable).toBe(false);
    const delivery = new AlertDeliveryError('429', { retriable: true, context: { channel: 'slack', target: 'https://hooks.slack.com/***' } });
    expect(delivery).toBeInstanceOf(SinkError);
    expect(isRetriable(delivery)).toBe(true);
  });

  it('an error that does not say is not retriable, whether ours or foreign', () => {
    expect(new DriftwatchError('unknown').retriable).toBe(false);
    expect(isRetriable(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isRetriable({ retriable: 'yes' })).toBe(false);
    expect(isRetriable(null)).toBe(false);
  });

  it('keeps the cause, the context and the class name', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new SinkError('InfluxDB write failed', { retriable: true, cause, context: { topic: 't' } });
    expect(error.cause).toBe(cause);
    expect(error.context).toEqual({ topic: 't' });
    expect(error.name).toBe('SinkError');
  });
});
