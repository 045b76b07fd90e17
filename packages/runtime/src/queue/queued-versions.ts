/**
 * Which workflow versions the jobs in Redis name, per lane and BullMQ state: what `revos workflows
 * versions` shows beside PostgreSQL's count of unfinished runs. Reads each job's envelope meta only.
 */
import type { Job } from 'bullmq';
import { LANES, type Lane } from '../definition/lanes.js';
import type { LaneQueues } from './enqueue.js';

/** queued: waiting to start (BullMQ's waiting and prioritized; a paused queue keeps its jobs waiting); delayed: not due yet (run_after, retry backoff); in_flight: active. */
export type QueuedState = 'queued' | 'delayed' | 'in_flight';

export interface QueuedVersionCount {
  workflowName: string;
  workflowVersion: string;
  lane: Lane;
  state: QueuedState;
  jobs: number;
}

const STATES: [QueuedState, ('waiting' | 'prioritized' | 'delayed' | 'active')[]][] = [
  ['queued', ['waiting', 'prioritized']],
  ['delayed', ['delayed']],
  ['in_flight', ['active']],
];

/** Counted a page at a time, so a deep backlog is read without holding it all. */
const PAGE = 500;

export async function countQueuedByVersion(queues: LaneQueues, lanes: readonly Lane[] = LANES): Promise<QueuedVersionCount[]> {
  const counts = new Map<string, QueuedVersionCount>();
  for (const lane of lanes) {
    for (const [state, types] of STATES) {
      for (const type of types) {
        for (let start = 0; ; start += PAGE) {
          const jobs = (await queues[lane].getJobs([type], start, start + PAGE - 1, true)) as (Job | undefined)[];
          for (const job of jobs) {
            // A job removed between the listing and its read comes back undefined.
            const meta = (job?.data as { meta?: { workflow_name?: unknown; workflow_version?: unknown } } | undefined)?.meta;
            const workflowName = typeof meta?.workflow_name === 'string' ? meta.workflow_name : '(unreadable)';
            const workflowVersion = typeof meta?.workflow_version === 'string' ? meta.workflow_version : '-';
            if (!job) continue;
            const id = `${workflowName}\u0000${workflowVersion}\u0000${lane}\u0000${state}`;
            const entry = counts.get(id) ?? { workflowName, workflowVersion, lane, state, jobs: 0 };
            entry.jobs += 1;
            counts.set(id, entry);
          }
          if (jobs.length < PAGE) break;
        }
      }
    }
  }
  return [...counts.values()];
}
