/**
 * How a run's output contract is kept in `workflow_runs.output` (migration 0014): without the meta_out fields the
 * row's own columns already hold (ids, key, end time, latency, failure code and stage, hashes, counters), which
 * were about 640 B of every run. The two meta_out fields no column carries ride along under `attempt`.
 * `run_output(workflow_runs)`, in SQL, gives the whole contract back; every reader selects `RUN_OUTPUT`.
 */
import type { OutputContract } from '@revos/envelope';

/** The output as stored: the result and audit as built, and what meta_out has that no column has. */
export interface StoredOutputDocument {
  result: OutputContract['result'];
  audit: OutputContract['audit'];
  attempt: {
    /** This attempt's start; the row's `started_at` keeps the first attempt's. */
    started_at_utc: string;
    failure_reason: string | null;
  };
}

/** The select-list item every reader of a run's output uses: the whole contract, rebuilt from the row. */
export const RUN_OUTPUT = 'run_output(workflow_runs) as output';

/**
 * The stored form of an output whose meta_out matches the row it is written with (the worker writes the row's
 * columns from the same meta_out: StoredRows.runRecord).
 */
export function storedOutputDocument(output: OutputContract): StoredOutputDocument {
  return {
    result: output.result,
    audit: output.audit,
    attempt: { started_at_utc: output.meta_out.started_at_utc, failure_reason: output.meta_out.failure_reason },
  };
}
