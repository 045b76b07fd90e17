/**
 * CRON_SCHEDULES, read and checked once at start, before the producer listens: the file's shape,
 * each pattern (parsed as BullMQ will), each time zone, each workflow (registered here) and each
 * payload (against that workflow's schema). Any problem stops the process with exit 78, naming the
 * schedule and the field, instead of a schedule that never fires or fails at every slot.
 */
import { readFileSync } from 'node:fs';
import { CronSchedules, InvalidConfigurationError, payloadSchemaIssues, payloadSchemaOf, type CronSchedule, type ManifestCatalog } from '@revos/runtime';

/** Reads and checks the schedule file; absent path: no schedules. */
export function loadCronSchedules(path: string | undefined, catalog: ManifestCatalog): CronSchedule[] {
  if (!path) return [];
  const fail = (lines: string[]): never => {
    throw new InvalidConfigurationError(`invalid configuration\n  CRON_SCHEDULES: ${path}\n    ${lines.join('\n    ')}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return fail([`cannot read it as JSON (${(error as Error).message})`]);
  }
  const parsed = CronSchedules.safeParse(raw);
  if (!parsed.success) {
    return fail(parsed.error.issues.map((i) => `${scheduleName(raw, i.path[0])} ${i.path.slice(1).join('.') || '(entry)'}: ${i.message}`));
  }
  const problems: string[] = [];
  parsed.data.forEach((s, index) => {
    const name = scheduleName(raw, index);
    const workflow = s.version ? catalog.get(s.workflow, s.version) : catalog.latest(s.workflow);
    if (!workflow) {
      problems.push(`${name} workflow: ${s.workflow}${s.version ? `@${s.version}` : ''} is not registered`);
      return;
    }
    const schema = payloadSchemaOf(catalog, workflow.name, workflow.version)!;
    for (const issue of payloadSchemaIssues(schema, s.payload)) problems.push(`${name} ${issue.path}: ${issue.rule} (${issue.message})`);
  });
  if (problems.length > 0) fail(problems);
  return parsed.data;
}

/** `schedule "appointment-reminders" (entry 0)`, or the entry number alone when it has no usable id. */
function scheduleName(raw: unknown, index: PropertyKey | undefined): string {
  if (typeof index !== 'number') return 'file';
  const entry = Array.isArray(raw) ? (raw[index] as { id?: unknown } | undefined) : undefined;
  const id = typeof entry?.id === 'string' ? entry.id.slice(0, 60) : null;
  return id ? `schedule ${JSON.stringify(id)} (entry ${index})` : `entry ${index}`;
}
