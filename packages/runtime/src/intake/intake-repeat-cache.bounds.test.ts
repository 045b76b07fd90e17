import { describe, expect, it } from 'vitest';
import { IntakeRepeatCache, INTAKE_REPEAT_CACHE_MAX_TTL_MS } from './intake-repeat-cache.js';

const KEY = 'idem:t_a:WF11_Log_Event:trg-1:' + 'a'.repeat(64);
const ids = (n: number) => ({ workflowRunId: `wr_${n}`, rootRunId: `wr_root_${n}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IntakeRepeatCache', () => {
  it('answers a remembered key with the ids PostgreSQL gave, and counts each hit', () => {
    const cache = new IntakeRepeatCache({ maxEntries: 10, ttlMs: 60_000 });
    expect(cache.get('t_a', KEY)).toBeUndefined();
    cache.remember('t_a', KEY, ids(1));
    expect(cache.get('t_a', KEY)).toEqual(ids(1));
    expect(cache.get('t_a', KEY)).toEqual(ids(1));
    expect(cache.hits).toBe(2);
  });

  it('keys by tenant and key: the same key for another tenant is a miss', () => {
    const cache = new IntakeRepeatCache({ maxEntries: 10, ttlMs: 60_000 });
    cache.remember('t_a', KEY, ids(1));
    expect(cache.get('t_b', KEY)).toBeUndefined();
    // However the two strings split, one pair never answers another's lookup.
    cache.remember('t_a', 'x:y', ids(2));
    expect(cache.get('t_a:x', 'y')).toBeUndefined();
    expect(cache.hits).toBe(0);
  });

  it('holds at most maxEntries: the next key evicts the oldest', () => {
    const cache = new IntakeRepeatCache({ maxEntries: 3, ttlMs: 60_000 });
    for (const n of [1, 2, 3]) cache.remember('t_a', `${KEY}${n}`, ids(n));
    cache.remember('t_a', `${KEY}4`, ids(4));
    expect(cache.size).toBe(3);
    expect(cache.get('t_a', `${KEY}1`)).toBeUndefined();
    expect([2, 3, 4].map((n) => cache.get('t_a', `${KEY}${n}`))).toEqual([ids(2), ids(3), ids(4)]);
    // A hit does not make a key younger: key 2 is still the oldest and goes next.
    cache.remember('t_a', `${KEY}5`, ids(5));
    expect(cache.get('t_a', `${KEY}2`)).toBeUndefined();
    expect(cache.get('t_a', `${KEY}3`)).toEqual(ids(3));
  });

  it('maxEntries 0 remembers nothing', () => {
    const cache = new IntakeRepeatCache({ maxEntries: 0, ttlMs: 60_000 });
    cache.remember('t_a', KEY, ids(1));
    expect(cache.get('t_a', KEY)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('an entry expires ttlMs after it was remembered, hits or not', async () => {
    const cache = new IntakeRepeatCache({ maxEntries: 10, ttlMs: 150 });
    cache.remember('t_a', KEY, ids(1));
    await sleep(60);
    expect(cache.get('t_a', KEY)).toEqual(ids(1));
    await sleep(120);
    expect(cache.get('t_a', KEY)).toBeUndefined();
    expect(cache.size).toBe(0);
    // A new answer from PostgreSQL starts a new life.
    cache.remember('t_a', KEY, ids(1));
    expect(cache.get('t_a', KEY)).toEqual(ids(1));
  });

  it('drops expired entries as new ones arrive, so stale keys do not hold the bound', async () => {
    const cache = new IntakeRepeatCache({ maxEntries: 100, ttlMs: 50 });
    for (let n = 0; n < 50; n++) cache.remember('t_a', `${KEY}${n}`, ids(n));
    await sleep(80);
    cache.remember('t_a', `${KEY}new`, ids(99));
    expect(cache.size).toBe(1);
  });

  it('refuses a size or TTL outside its range', () => {
    expect(() => new IntakeRepeatCache({ maxEntries: -1, ttlMs: 1000 })).toThrow(/maxEntries/);
    expect(() => new IntakeRepeatCache({ maxEntries: 1.5, ttlMs: 1000 })).toThrow(/maxEntries/);
    expect(() => new IntakeRepeatCache({ maxEntries: 10, ttlMs: 0 })).toThrow(/ttlMs/);
    expect(() => new IntakeRepeatCache({ maxEntries: 10, ttlMs: Number.NaN })).toThrow(/ttlMs/);
    expect(() => new IntakeRepeatCache({ maxEntries: 10, ttlMs: INTAKE_REPEAT_CACHE_MAX_TTL_MS + 1 })).toThrow(/ttlMs/);
    expect(() => new IntakeRepeatCache({ maxEntries: 10, ttlMs: INTAKE_REPEAT_CACHE_MAX_TTL_MS })).not.toThrow();
  });
});
