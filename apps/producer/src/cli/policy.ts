import { currentPolicy, submitPolicyChange } from '../services/policy-change.js';
import { allowOnly, noMorePositionals, operatorName, readJsonFile, tenantOption } from './args.js';
import { subcommand, type CommandGroup } from './command.js';
import { submissionRefused, UsageError } from './errors.js';
import { requireTenant } from './session.js';

/** `revos policy show|set`: a tenant's ruleset and feature flags; a change is a WF07_Change_Policy run (validated, versioned, audited). */
export const policy: CommandGroup = {
  name: 'policy',
  usage: `  revos policy show --tenant <t> [--json]            the tenant's ruleset, feature flags and their versions
  revos policy set --tenant <t> (--ruleset <file.json> | --flags <file.json>) [--expect <version>] [--operator <name>] [--reason <why>] [--json]
                                                    changes them through a WF07_Change_Policy run (validated, versioned, audited)`,
  async run(args, { session, out, env }) {
    const sub = subcommand(args, 'policy', ['show', 'set']);
    const command = `policy ${sub}`;
    noMorePositionals(args, command, 2);
    allowOnly(args, command, sub === 'show' ? ['tenant'] : ['tenant', 'ruleset', 'flags', 'expect', 'operator', 'reason']);
    const tenantId = tenantOption(args, command);
    const db = await session.db();
    await requireTenant(db, tenantId);
    if (sub === 'show') {
      const current = await currentPolicy(db, tenantId);
      out(args.json ? JSON.stringify(current) : JSON.stringify(current, null, 2));
      return;
    }
    if ((args.ruleset === undefined) === (args.flags === undefined)) throw new UsageError(`${command}: give exactly one of --ruleset <file.json> or --flags <file.json>`);
    const operator = operatorName(args, env.USER, 'unknown');
    if (!/^[A-Za-z0-9_.@-]{1,80}$/.test(operator)) throw new UsageError(`${command}: --operator must be letters, digits and _ . @ - (1-80)`);
    const body = {
      ...(args.ruleset !== undefined ? { ruleset: await readJsonFile(args.ruleset, '--ruleset') } : { feature_flags: await readJsonFile(args.flags!, '--flags') }),
      ...(args.expect !== undefined ? { expected_version: args.expect } : {}),
      ...(args.reason !== undefined ? { reason: args.reason } : {}),
    };
    const outcome = await submitPolicyChange({ ...(await session.intake()), environment: env.ENVIRONMENT }, tenantId, body, `cli:${operator}`, 'cli');
    if (!outcome.ok) throw submissionRefused(outcome.httpStatus, outcome.body);
    out(args.json ? JSON.stringify(outcome.body) : JSON.stringify(outcome.body, null, 2));
  },
};
