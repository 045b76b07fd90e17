import { allowOnly, positional, readJsonFile, tenantOption } from './args.js';
import type { CommandGroup } from './command.js';
import { submissionRefused } from './errors.js';
import { requireTenant } from './session.js';
import { submitRequest } from '../services/submit.js';

/** `revos enqueue`: an envelope file through the API's own intake, answered with the API's body. */
export const enqueue: CommandGroup = {
  name: 'enqueue',
  usage: `  revos enqueue <file.json> --tenant <tenant_id> [--json]`,
  async run(args, { session, out }) {
    const command = 'enqueue';
    allowOnly(args, command, ['tenant']);
    const file = positional(args, 1, '<file.json>', command, 2);
    const tenantId = tenantOption(args, command);
    const body = await readJsonFile(file, '<file.json>');
    await requireTenant(await session.db(), tenantId);
    // The one call into intake: the API's POST /v1/runs path, so the CLI cannot accept what the API refuses.
    const outcome = await submitRequest(await session.intake(), body, tenantId, 'cli');
    if (!outcome.ok) throw submissionRefused(outcome.httpStatus, outcome.body);
    out(args.json ? JSON.stringify(outcome.body) : JSON.stringify(outcome.body, null, 2));
  },
};
