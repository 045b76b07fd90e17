import { describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batcher.js';

describe('MicroBatcher', () => {
  it('executes calls made in the same turn as one batch, in order', async () => {
    const batches: number[][] = [];
    const b = new MicroBatcher<number, number>(async (xs) => (batches.push(xs), xs.map((x) => x * 2)), { maxBatch: 100, keyOf: String });
    const results = await Promise.all([1, 2, 3].map((x) => b.submit(x)));
    expect(results).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('caps a batch at maxBatch', async () => {
    const sizes: number[] = [];
    const b = new MicroBatcher<number, number>(async (xs) => (sizes.push(xs.length), xs), { maxBatch: 2, keyOf: String });
    await Promise.all([1, 2, 3, 4, 5].map((x) => b.submit(x)));
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('never puts two items with the same key in one batch', async () => {
    const batches: string[][] = [];
    const b = new MicroBatcher<string, string>(async (xs) => (batches.push(xs), xs), { maxBatch: 10, keyOf: (s) => s[0]! });
    await Promise.all(['a1', 'a2', 'b1', 'a3'].map((x) => b.submit(x)));
    for (const batch of batches) expect(new Set(batch.map((s) => s[0])).size).toBe(batch.length);
    expect(batches.flat().sort()).toEqual(['a1', 'a2', 'a3', 'b1']);
  });

  it('while maxInFlight statements are out, calls from later turns wait and go out together when one returns', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        batches.push(xs);
        if (batches.length === 1) await first;
        return xs;
      },
      { maxBatch: 100, keyOf: String, maxInFlight: 1 },
    );
    const calls = [b.submit(1)];
    for (const x of [2, 3, 4]) {
      await new Promise((r) => setImmediate(r));
      calls.push(b.submit(x));
    }
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]);
    release();
    expect(await Promise.all(calls)).toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('when a batch fails, retries each item alone so only the bad one fails', async () => {
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        if (xs.includes(13)) throw new Error('bad item');
        return xs;
      },
      { maxBatch: 10, keyOf: String },
    );
    const results = await Promise.allSettled([1, 13, 2].map((x) => b.submit(x)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
