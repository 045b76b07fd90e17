/**
 * Group commit: calls that arrive in the same event-loop turn are executed as
 * one statement. Under load a turn brings many finished vendor calls, so one
 * round trip (one socket write, one WAL flush) serves dozens of runs; at idle a
 * batch is a single call and waits no longer than one setImmediate.
 *
 * Items whose key is already in the forming batch wait for the next one (a
 * multi-row upsert may not touch the same row twice). When a batch fails, its
 * items are retried one by one, so one bad item fails alone.
 */
export class MicroBatcher<I, O> {
  private pending: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private keys = new Set<string>();
  private overflow: typeof this.pending = [];
  private scheduled = false;

  constructor(
    private readonly execute: (items: I[]) => Promise<O[]>,
    private readonly options: { maxBatch: number; keyOf: (item: I) => string },
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const entry = { item, resolve, reject };
      const key = this.options.keyOf(item);
      if (this.keys.has(key)) {
        this.overflow.push(entry);
      } else {
        this.keys.add(key);
        this.pending.push(entry);
      }
      if (this.pending.length >= this.options.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    this.keys = new Set();
    // Items held back for a key clash start the next batch.
    const held = this.overflow;
    this.overflow = [];
    for (const entry of held) {
      const key = this.options.keyOf(entry.item);
      if (this.keys.has(key)) this.overflow.push(entry);
      else {
        this.keys.add(key);
        this.pending.push(entry);
      }
    }
    if (this.pending.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    if (batch.length > 0) void this.run(batch);
  }

  private async run(batch: typeof this.pending): Promise<void> {
    try {
      const results = await this.execute(batch.map((e) => e.item));
      batch.forEach((e, i) => e.resolve(results[i] as O));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // Isolate the failure: each item alone, so the good ones still land.
      await Promise.all(
        batch.map((e) =>
          this.execute([e.item]).then(
            (r) => e.resolve(r[0] as O),
            (err: unknown) => e.reject(err),
          ),
        ),
      );
    }
  }
}
