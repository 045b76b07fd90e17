/**
 * A real worker replica for the fault suite: the production worker (apps/worker) plus the fault
 * workflows, configured through the same env.ts. Prints `{"ready":true}` once listening, and one
 * line `{"fault_phase":…,"run":…}` each time a run enters a phase, so the test that kills it can
 * tell which runs it interrupted where. stdout to a pipe is synchronous on Linux: a line printed
 * before a SIGKILL reaches the parent.
 */
import { loadWorkerEnv, startWorkerProcess } from '@revos/worker';
import { faultWorkflows, reportPhases } from './fault-workflows.js';

reportPhases((run, phase) => process.stdout.write(`${JSON.stringify({ fault_phase: phase, run })}\n`));
const fleet = await startWorkerProcess(loadWorkerEnv(), { extraWorkflows: (services) => faultWorkflows(services) });
console.log(JSON.stringify({ ready: true, pid: process.pid }));
process.once('SIGTERM', () => void fleet.close().then(() => process.exit(0)));
