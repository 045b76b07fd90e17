/**
 * `WF##_Short_Description`: `WF`, two digits, then one or more `_`-separated words, each starting
 * with an uppercase letter or a digit and made of letters/digits only. At most 64 characters
 * (the lookahead), so names fit in keys, job ids and log bindings without truncation.
 */
export const WORKFLOW_NAME_RE = /^(?=.{1,64}$)WF\d{2}(?:_[A-Z0-9][A-Za-z0-9]*)+$/;

/** Upper bound on a semver string; the prerelease grammar backtracks, so long input is refused first. */
export const MAX_SEMVER_LENGTH = 256;

/** Strict SemVer 2.0.0 (the regex published on semver.org): no leading `v`, no leading zeros. */
export const SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** True when `s` follows the workflow naming rule ({@link WORKFLOW_NAME_RE}). */
export function isWorkflowName(s: unknown): s is string {
  return typeof s === "string" && WORKFLOW_NAME_RE.test(s);
}

/** True when `s` is a strict SemVer 2.0.0 version of at most {@link MAX_SEMVER_LENGTH} characters. */
export function isSemver(s: unknown): s is string {
  return typeof s === "string" && s.length <= MAX_SEMVER_LENGTH && SEMVER_RE.test(s);
}

/**
 * The catalog number of a workflow: `workflowNumber("WF17_RealTime_Voice_Orchestrator") === 17`.
 * @throws TypeError when `name` does not follow the naming rule.
 */
export function workflowNumber(name: string): number {
  if (!isWorkflowName(name)) {
    throw new TypeError(`not a workflow name (expected WF##_Short_Description): ${JSON.stringify(name)}`);
  }
  return Number(name.slice(2, 4));
}
