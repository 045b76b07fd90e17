import { describe, expect, it } from "vitest";
import { newAlertId, newCorrelationId, newEffectId, newEventId, newId, newOutboxId, newRunId, newTaskId, RUN_ID_RE } from "./ids.js";

const ULID = "[0-9A-HJKMNP-TV-Z]{26}";

describe("ids", () => {
  it.each([
    [newRunId, "wr"],
    [newEventId, "ev"],
    [newTaskId, "task"],
    [newAlertId, "alert"],
    [newCorrelationId, "corr"],
    [newEffectId, "eff"],
    [newOutboxId, "obx"],
    [() => newId("x"), "x"],
  ] as const)("mints %s ids as prefix_ULID", (mint, prefix) => {
    expect(mint()).toMatch(new RegExp(`^${prefix}_${ULID}$`));
  });

  it("run ids satisfy RUN_ID_RE", () => {
    expect(RUN_ID_RE.test(newRunId())).toBe(true);
    expect(RUN_ID_RE.test("wr_")).toBe(false);
    expect(RUN_ID_RE.test("wr_abc-def")).toBe(false);
  });

  it("ids minted in a burst are unique and sort in creation order", () => {
    const ids = Array.from({ length: 1000 }, () => newEventId());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe("ULID encoding", () => {
  it("encodes the current time in the first ten characters", () => {
    const before = Date.now();
    const id = newId("x").slice(2);
    const after = Date.now();
    let time = 0;
    for (const ch of id.slice(0, 10)) time = time * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".indexOf(ch);
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(after);
  });
});
