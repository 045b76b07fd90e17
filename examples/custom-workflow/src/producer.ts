// The HTTP API, webhooks, dispatcher and cron, accepting our workflows too; configured like the stock producer.
import { runProducerMain } from '@revos/producer';
import { workflows } from './workflows.js';

runProducerMain({ extraWorkflows: workflows });
