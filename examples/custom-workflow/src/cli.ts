// The `revos` CLI, knowing our workflows: `npm run revos -- enqueue recall.json --tenant t_demo`.
import { runCliMain } from '@revos/producer';
import { workflows } from './workflows.js';

runCliMain({ extraWorkflows: workflows });
