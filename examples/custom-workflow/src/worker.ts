// A worker replica serving the reference workflows and ours; configured like the stock worker (apps/worker/src/env.ts).
import { runWorkerMain } from '@revos/worker';
import { workflows } from './workflows.js';

runWorkerMain({ extraWorkflows: workflows });
