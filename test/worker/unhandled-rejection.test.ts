import { describe, expect, it } from 'vitest';
import { spawnTs } from '../support/processes.js';

describe('a fleet process and unhandled rejections', () => {
  it('survives postgres.js’s type query cut by a PostgreSQL restart, and exits 1 on any other', async () => {
    const p = await spawnTs('test/support/fixtures/unhandled-rejection-main.ts', {}, /fixture ready/);
    const exit = await p.exited;
    const lines = p.output.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(exit).toBe(1);
    const messages = lines.map((l) => l.msg);
    expect(messages).toContain('postgres.js connection setup cut by a lost connection; reconnecting');
    expect(messages).toContain('survived the cut type query');
    expect(lines.at(-1)).toMatchObject({ msg: 'unhandled rejection', level: 'fatal' });
  });
});
