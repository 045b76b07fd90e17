// The `revos` CLI, knowing our workflows (their manifests): `npm run revos -- enqueue recall.json --tenant t_demo`.
import { runCliMain } from '@revos/producer';
import { manifests } from './manifests.js';

runCliMain({ manifests });
