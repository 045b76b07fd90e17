/**
 * A real worker process for the payment crash test: the production worker (apps/worker, STRIPE_* from
 * its env.ts) plus WF96, which is WF60_Collect_Payment's own definition on the realtime lane with a
 * short timeout, so a killed worker's ledger lock lapses in seconds instead of the interactive lane's
 * 45. Same payload, consent gate and effect: only the lane and timeout differ.
 */
import { defineWorkflow } from '@revos/runtime';
import { WF60_Collect_Payment } from '@revos/workflows';
import { loadWorkerEnv, startWorkerProcess } from '@revos/worker';

const CRASH_COLLECT = 'WF96_Test_Collect_Payment';

const fleet = await startWorkerProcess(loadWorkerEnv(), {
  extraWorkflows: (services) => {
    const collect = WF60_Collect_Payment(services.payments!);
    return [defineWorkflow({ ...collect, name: CRASH_COLLECT, lane: 'realtime', timeoutMs: 4_000, latencyBudgetMs: null })];
  },
});
console.log(JSON.stringify({ ready: true, pid: process.pid }));
process.once('SIGTERM', () => void fleet.close().then(() => process.exit(0)));
