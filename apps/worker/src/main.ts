// The worker process: `npm run start -w @revos/worker`, or `node dist/main.js` in a container.
// A deployment's own workflows: WORKFLOWS_MODULE, or its own entry calling runWorkerMain (run-main.ts).
import { runWorkerMain } from './run-main.js';

runWorkerMain();
