import { setConsents, showConsents, type ConsentSetBody } from '../services/consents.js';
import { allowOnly, noMorePositionals, operatorName, tenantOption } from './args.js';
import { subcommand, type CommandGroup } from './command.js';
import { UsageError } from './errors.js';
import { dash, table } from './format.js';
import { requireTenant } from './session.js';

/** `revos consents set|show`: the same rules and events as `PUT/GET /v1/consents`. */
export const consents: CommandGroup = {
  name: 'consents',
  usage: `  revos consents set --tenant <t> [--subject <p_…|l_…>] [--address <+E.164 | email address>] --channel <sms|voice|email> --status <allow|deny> --source <how> [--evidence <ref>] [--operator <name>] [--json]
  revos consents show --tenant <t> (--subject <p_…|l_…> | --address <+E.164 | email address>) [--json]`,
  async run(args, { session, out, env }) {
    const sub = subcommand(args, 'consents', ['set', 'show']);
    const command = `consents ${sub}`;
    noMorePositionals(args, command, 2);
    const tenantId = tenantOption(args, command);
    const db = await session.db();
    if (sub === 'show') {
      allowOnly(args, command, ['tenant', 'subject', 'address']);
      const outcome = await showConsents(db, tenantId, { subject: args.subject, address: args.address });
      if (!outcome.ok) throw new UsageError(`${command}: ${outcome.body.issues.map((i) => `--${i.path}: ${i.message}`).join('; ')}`);
      const rows = 'consents' in outcome.body ? outcome.body.consents : [];
      if (args.json) return out(JSON.stringify({ consents: rows }));
      if (rows.length === 0) return out('no consent recorded (texts need an allow for the subject)');
      return out(table([['TARGET', 'ID', 'CHANNEL', 'STATUS', 'SOURCE', 'BY', 'UPDATED_AT'], ...rows.map((r) => [r.target, r.id, r.channel, r.status, dash(r.source), dash(r.updated_by), r.updated_at])]));
    }
    allowOnly(args, command, ['tenant', 'subject', 'address', 'channel', 'status', 'source', 'evidence', 'operator']);
    await requireTenant(db, tenantId);
    const request: Record<string, unknown> = { channel: args.channel, status: args.status, source: args.source ?? 'cli' };
    if (args.subject !== undefined) request.subject = args.subject.startsWith('l_') ? { lead_id: args.subject } : { patient_id: args.subject };
    if (args.address !== undefined) request.address = args.address;
    if (args.evidence !== undefined) request.evidence_ref = args.evidence;
    const outcome = await setConsents({ db, privacy: session.privacy() }, tenantId, request, `cli:${operatorName(args, env.USER, 'operator')}`);
    if (!outcome.ok) throw new UsageError(`${command}: ${outcome.body.issues.map((i) => `--${i.path.split('.')[0]?.replace('evidence_ref', 'evidence')}: ${i.message}`).join('; ')}`);
    if (args.json) return out(JSON.stringify(outcome.body));
    const body = outcome.body as ConsentSetBody;
    const lines = [body.subject, body.address].filter((x) => x !== undefined).map((c) => `${c.id} ${c.channel} ${c.status}${c.changed ? ` (was ${c.previous ?? 'unset'})` : ' (unchanged)'}`);
    out(lines.join('\n'));
  },
};
