import { z } from "zod";
import { assertNever } from "./errors.js";

/** An escalation task's life: open → claimed (a person has it) → done; reopen puts it back to open. */
export const TaskStatus = z.enum(["open", "claimed", "done"]);
export type TaskStatus = z.infer<typeof TaskStatus>;

/**
 * How staff closed a task. `sent` and `not_sent` answer a task about a vendor call whose outcome is
 * unknown (`effect_outcome_unknown`): the text did go out, or it did not (then exactly one new call
 * is allowed). `resolved` and `dismissed` close any task.
 */
export const TaskResolution = z.enum(["resolved", "dismissed", "sent", "not_sent"]);
export type TaskResolution = z.infer<typeof TaskResolution>;

export type TaskAction = { action: "claim" } | { action: "resolve"; resolution: TaskResolution } | { action: "reopen" };

export interface TaskState {
  status: TaskStatus;
  claimedBy: string | null;
  resolution: TaskResolution | null;
  failureCode: string | null;
}

/** What a task action does to a task in `state`, decided before anything is written. */
export type TaskTransition =
  | { kind: "apply"; to: TaskStatus }
  /** Already so (a repeated click or call): answer as done, write nothing. */
  | { kind: "unchanged" }
  | { kind: "refused"; rule: string; message: string };

export function planTaskTransition(state: TaskState, change: TaskAction, actor: string): TaskTransition {
  switch (change.action) {
    case "claim":
      if (state.status === "done") return { kind: "refused", rule: "task_done", message: "the task is resolved; reopen it first" };
      if (state.status === "claimed") {
        return state.claimedBy === actor
          ? { kind: "unchanged" }
          : { kind: "refused", rule: "task_claimed", message: `the task is claimed by ${state.claimedBy ?? "someone else"}` };
      }
      return { kind: "apply", to: "claimed" };
    case "resolve": {
      const settlesEffect = change.resolution === "sent" || change.resolution === "not_sent";
      if (settlesEffect && state.failureCode !== "effect_outcome_unknown") {
        return {
          kind: "refused",
          rule: "resolution_not_applicable",
          message: `resolution ${change.resolution} is only for tasks about an unknown vendor outcome (effect_outcome_unknown)`,
        };
      }
      if (state.status === "done") {
        return state.resolution === change.resolution
          ? { kind: "unchanged" }
          : { kind: "refused", rule: "task_done", message: `the task is already resolved as ${state.resolution ?? "done"}; reopen it first` };
      }
      return { kind: "apply", to: "done" };
    }
    case "reopen":
      return state.status === "open" ? { kind: "unchanged" } : { kind: "apply", to: "open" };
    default:
      return assertNever(change, "task action");
  }
}
