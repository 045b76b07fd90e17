import { WorkflowError } from '@revos/envelope';
import { describe, expect, it } from 'vitest';
import { errorForLog } from './log-error.js';
import { captureLogLines } from './log-lines.fixtures.js';
import { createLogger } from './logger.js';

describe('errors in log lines', () => {
  it('keep the class, our failure code, our own message and the stack frames', () => {
    const { lines, stream } = captureLogLines();
    const log = createLogger({ destination: stream });
    log.error({ err: new WorkflowError('vendor_unavailable', 'twilio messages.create: HTTP 504') }, 'failed');
    const err = lines[0]?.['err'] as Record<string, unknown>;
    expect(err['class']).toBe('WorkflowError');
    expect(err['failure_code']).toBe('vendor_unavailable');
    expect(err['text']).toBe('twilio messages.create: HTTP 504');
    expect((err['frames'] as string[])[0]).toMatch(/^at /);
  });

  it('mask what a foreign message may quote: numbers, quoted input, addresses', () => {
    const leaky = new TypeError(`Cannot parse "Ada Lovelace" at +1 555 123 4567 (ada@example.com)`);
    const logged = errorForLog(leaky);
    expect(logged.class).toBe('TypeError');
    expect(logged.text).not.toContain('Ada');
    expect(logged.text).not.toContain('4567');
    expect(logged.text).not.toContain('example.com');
    expect(logged.text).toContain('Cannot parse');
  });

  it('keep a system code and the cause chain', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const logged = errorForLog(new Error('query failed', { cause }));
    expect(logged.cause?.code).toBe('ECONNREFUSED');
  });

  it('describe a stack overflow as what it is', () => {
    const deep = (n: number): number => deep(n + 1) + 1;
    let overflow: unknown;
    try {
      deep(0);
    } catch (error) {
      overflow = error;
    }
    const logged = errorForLog(overflow);
    expect(logged).toMatchObject({ class: 'RangeError', text: 'Maximum call stack size exceeded' });
  });
});
