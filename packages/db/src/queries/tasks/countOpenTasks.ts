import type { Sql } from '../../client.js';
import type { OpenTaskCount } from './task-rows.js';

/** Open staff tasks by kind and failure code (the metrics' open tasks and unknown vendor outcomes). */
export async function countOpenTasks(sql: Sql): Promise<OpenTaskCount[]> {
  return sql<OpenTaskCount[]>`
    select kind, failure_code, count(*)::int as n from tasks where status = 'open' group by kind, failure_code order by kind, failure_code`;
}
