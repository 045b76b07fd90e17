import { joinPath, type FieldIssue } from "./issues.js";

/**
 * How deep and how large a JSON value we accept at every door (API, webhooks, CLI enqueue, the queue).
 * A workflow's real inputs are a few levels deep and a few hundred keys at most; limits far above that
 * keep recursive code (schemas, canonical JSON, redaction) from running out of stack or time.
 */
export const JSON_LIMITS = {
  /** Nesting levels of objects and arrays, the envelope itself being level 1. */
  maxDepth: 32,
  /** Object keys plus array items, counted over the whole value. */
  maxNodes: 10_000,
} as const;

export interface JsonLimits {
  maxDepth: number;
  maxNodes: number;
}

/**
 * The limits `value` breaks, as issues naming the rule (`max_depth` at the path where it goes too deep,
 * `max_keys` for the value as a whole). Iterative, so a 100,000-deep value is measured, not overflowed.
 */
export function jsonLimitIssues(value: unknown, limits: JsonLimits = JSON_LIMITS): FieldIssue[] {
  // Each pending object knows its parent and key, not its whole path: the path is only built for an issue.
  interface Pending {
    value: object;
    parent: Pending | null;
    key: PropertyKey;
    depth: number;
  }
  const pathOf = (item: Pending): PropertyKey[] => {
    const path: PropertyKey[] = [];
    for (let at: Pending | null = item; at?.parent; at = at.parent) path.push(at.key);
    return path.reverse();
  };
  if (typeof value !== "object" || value === null) return [];
  const issues: FieldIssue[] = [];
  const stack: Pending[] = [{ value, parent: null, key: "", depth: 0 }];
  let nodes = 0;
  let tooDeep = false;
  while (stack.length > 0) {
    const item = stack.pop()!;
    const depth = item.depth + 1;
    if (depth > limits.maxDepth) {
      if (!tooDeep) {
        tooDeep = true;
        issues.push({ path: joinPath(pathOf(item)), rule: "max_depth", message: `nested deeper than ${limits.maxDepth} levels` });
      }
      continue;
    }
    if (Array.isArray(item.value)) {
      const array = item.value as unknown[];
      nodes += array.length;
      if (nodes > limits.maxNodes) break;
      for (let i = 0; i < array.length; i++) {
        const child = array[i];
        if (typeof child === "object" && child !== null) stack.push({ value: child, parent: item, key: i, depth });
      }
    } else {
      const record = item.value as Record<string, unknown>;
      const keys = Object.keys(record);
      nodes += keys.length;
      if (nodes > limits.maxNodes) break;
      for (const key of keys) {
        const child = record[key];
        if (typeof child === "object" && child !== null) stack.push({ value: child, parent: item, key, depth });
      }
    }
  }
  if (nodes > limits.maxNodes) issues.push({ path: "", rule: "max_keys", message: `more than ${limits.maxNodes} keys and array items in all` });
  return issues;
}
