import { describe, expect, it } from 'vitest';
import { captureLogLines } from './log-lines.fixtures.js';
import { createLogger, lazyChild } from './logger.js';

const RUN = { workflow: 'WF01_Test', workflow_run_id: 'run_01', tenant_id: 't_1', attempt: 1 };

describe('the per-run logger made lazily', () => {
  it('writes every line with the run bindings and still redacts PHI in payloads', () => {
    const { lines, stream } = captureLogLines();
    const log = lazyChild(createLogger({ destination: stream, level: 'info' }), RUN);
    log.info({ to: '+15551234567', detail: { phone: '+15551234567' } }, 'sent');
    log.child({ effect: 'sms.send' }).warn('nested');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ ...RUN, msg: 'sent', level: 'info', to: '[redacted]', detail: { phone: '[redacted]' } });
    expect(JSON.stringify(lines)).not.toContain('5551234567');
    expect(lines[1]).toMatchObject({ ...RUN, effect: 'sms.send', msg: 'nested', level: 'warn' });
  });

  it('writes nothing at a disabled level and does not make the child for it', () => {
    const { lines, stream } = captureLogLines();
    const parent = createLogger({ destination: stream, level: 'warn' });
    let made = 0;
    const child = parent.child.bind(parent);
    parent.child = ((...args: Parameters<typeof child>) => (made++, child(...args))) as typeof parent.child;
    const log = lazyChild(parent, RUN);
    log.info({ latency_ms: 3 }, 'run finished');
    log.debug('detail');
    expect(lines).toHaveLength(0);
    expect(made).toBe(0);
    log.warn({ code: 'vendor_unavailable' }, 'retry');
    expect(made).toBe(1);
    expect(lines[0]).toMatchObject({ ...RUN, code: 'vendor_unavailable', msg: 'retry' });
    expect(log.isLevelEnabled('info')).toBe(false);
  });
});
