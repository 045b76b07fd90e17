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
  const issues: FieldIssue[] = [];
  const stack: { value: unknown; path: PropertyKey[]; depth: number }[] = [{ value, path: [], depth: 0 }];
  let nodes = 0;
  let tooDeep = false;
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value !== "object" || item.value === null) continue;
    const depth = item.depth + 1;
    if (depth > limits.maxDepth) {
      if (!tooDeep) {
        tooDeep = true;
        issues.push({ path: joinPath(item.path), rule: "max_depth", message: `nested deeper than ${limits.maxDepth} levels` });
      }
      continue;
    }
    const children: [PropertyKey, unknown][] = Array.isArray(item.value) ? item.value.map((v, i) => [i, v]) : Object.entries(item.value);
    nodes += children.length;
    if (nodes > limits.maxNodes) {
      issues.push({ path: "", rule: "max_keys", message: `more than ${limits.maxNodes} keys and array items in all` });
      break;
    }
    for (const [key, child] of children) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, path: [...item.path, key], depth });
    }
  }
  return issues;
}
