/** The CLI's failures, each with its exit code (2, 1 and 78), and how a refused submission reads. */

/** A missing or bad argument: exit 2, one line naming it. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command could not be done: exit 1, one line saying why. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
  constructor(
    message: string,
    /** Printed to stdout with --json, so scripts get the API's error body. */
    readonly json?: unknown,
  ) {
    super(message);
  }
}

/** A configuration file (`tenants create --config`) broke its schema: exit 78 (EX_CONFIG), naming each key and rule. */
export class ConfigRefused extends Error {
  override name = 'ConfigRefused';
}

/** A submission intake refused: exit 1 naming every failing field; --json prints the API's error body. */
export function submissionRefused(httpStatus: number, body: { error: string; issues: { path: string; rule: string }[] }): CommandFailed {
  const issues = body.issues.map((i) => `${i.path || '(body)'}: ${i.rule}`).join('; ');
  return new CommandFailed(`${body.error} (${httpStatus}): ${issues}`, body);
}
