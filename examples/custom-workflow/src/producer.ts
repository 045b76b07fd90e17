// The HTTP API, webhooks, dispatcher and cron, accepting our workflows too; configured like the stock producer.
// It reads our manifests only: no handler and no vendor adapter is loaded here.
import { runProducerMain } from '@revos/producer';
import { manifests } from './manifests.js';

runProducerMain({ manifests });
