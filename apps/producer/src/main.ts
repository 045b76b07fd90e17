// The producer process: `npm run start -w @revos/producer`, or `node dist/main.js` in a container.
// A deployment's own workflows: WORKFLOWS_MODULE, or its own entry calling runProducerMain (boot/run-main.ts).
import { runProducerMain } from './boot/run-main.js';

runProducerMain();
