import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer, SealError } from './sealer.js';

const KEY = 'seal-key-0123456789abcdefghijklmnopqrstuvwxyz';
const OLD_KEY = 'old-seal-key-0123456789abcdefghijklmnopqrstuv';
const ROW = 'accepted_runs:idem:t_a:WF30_Send_SMS:trg_1:abc';

describe('sealer', () => {
  it('opens what it sealed for the same row', () => {
    const sealer = createSealer(KEY);
    const sealed = sealer.seal({ to: '+15551230001' }, ROW);
    expect(sealed).toMatch(/^v2:[0-9a-f]{8}:/);
    expect(sealer.unseal(sealed, ROW)).toEqual({ to: '+15551230001' });
  });

  it('refuses a sealed copy moved to another row (bound by additional authenticated data)', () => {
    const sealer = createSealer(KEY);
    const sealed = sealer.seal({ to: '+15551230001' }, ROW);
    expect(() => sealer.unseal(sealed, 'accepted_runs:another-key')).toThrow(SealError);
  });

  it('refuses a tag shorter than 16 bytes (Node 20 would otherwise take 4)', () => {
    const sealer = createSealer(KEY);
    const raw = Buffer.from(sealer.seal('x', ROW).split(':')[2]!, 'base64');
    const kid = sealer.seal('y', ROW).split(':')[1];
    const truncated = `v2:${kid}:${raw.subarray(0, 12 + 4).toString('base64')}`;
    expect(() => sealer.unseal(truncated, ROW)).toThrow(/too short/);
    const flipped = Buffer.from(raw);
    flipped[14] = flipped[14]! ^ 1;
    expect(() => sealer.unseal(`v2:${kid}:${flipped.toString('base64')}`, ROW)).toThrow(SealError);
  });

  it('opens rows sealed under a previous key after a rotation, and names an unknown key id', () => {
    const before = createSealer(OLD_KEY).seal({ n: 1 }, ROW);
    const rotated = createSealer(KEY, [OLD_KEY]);
    expect(rotated.unseal(before, ROW)).toEqual({ n: 1 });
    expect(rotated.seal({ n: 2 }, ROW).split(':')[1]).not.toBe(before.split(':')[1]);
    expect(() => createSealer(KEY).unseal(before, ROW)).toThrow(/neither PHI_SEAL_KEY nor one of PHI_SEAL_KEYS_PREVIOUS/);
  });

  it('still opens a v1 value written before key ids and row binding', () => {
    const key = createHash('sha256').update(KEY, 'utf8').digest();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify({ legacy: true }), 'utf8'), cipher.final()]);
    const v1 = `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    expect(createSealer(KEY).unseal(v1, ROW)).toEqual({ legacy: true });
  });

  it('refuses a key shorter than 32 bytes, naming the setting', () => {
    expect(() => createSealer('short')).toThrow(/PHI_SEAL_KEY: must be at least 32 bytes/);
    expect(() => createSealer(KEY, ['short'])).toThrow(/PHI_SEAL_KEYS_PREVIOUS/);
  });
});
