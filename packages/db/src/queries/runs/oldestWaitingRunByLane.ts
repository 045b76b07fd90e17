import type { Sql } from '../../client.js';
import type { LaneWaitAge } from './run-rows.js';

/**
 * Per lane, how long the oldest accepted run still without an outcome (status `queued`: waiting for
 * a worker, or in its first attempt) has waited, counted from when it was due (its acceptance, or
 * its run_after when delayed): the queue's age as a patient sees it. Runs not yet due are not waiting.
 */
export async function oldestWaitingRunByLane(sql: Sql): Promise<LaneWaitAge[]> {
  return sql<LaneWaitAge[]>`
    select r.lane, extract(epoch from now() - min(greatest(r.accepted_at, coalesce(a.run_after, r.accepted_at))))::float8 as age_s
      from workflow_runs r left join accepted_runs a on a.workflow_run_id = r.workflow_run_id
     where r.status = 'queued'
       and greatest(r.accepted_at, coalesce(a.run_after, r.accepted_at)) <= now()
     group by r.lane
     order by r.lane`;
}
