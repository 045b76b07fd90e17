import { describe, expect, it } from "vitest";
import { checkTenantConfig, readStoredTenantConfig } from "./tenant-config.js";

describe("tenant config reminder_windows_hours", () => {
  it("accepts whole hours from 1 to 336, up to four, none twice", () => {
    expect(checkTenantConfig({ reminder_windows_hours: [48, 2] }).ok).toBe(true);
    expect(checkTenantConfig({ reminder_windows_hours: [336, 72, 24, 1] }).ok).toBe(true);
  });

  it.each([
    [[], "must name at least one window"],
    [[48, 48], "no window twice"],
    [[0], "each must be at least 1 hour"],
    [[1.5], "each must be a whole number of hours"],
    [[400], "each must be at most 336 hours"],
    [[1, 2, 3, 4, 5], "at most 4 windows"],
    ["48", "must be a list of whole hours"],
  ])("refuses %j naming the key and the rule", (value, message) => {
    const result = checkTenantConfig({ reminder_windows_hours: value });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues[0]!.path).toMatch(/^config\.reminder_windows_hours/);
      expect(result.issues[0]!.message).toContain(message);
    }
  });

  it("refuses a widest window longer than the tenant's dedupe window (a later sweep would send it again)", () => {
    const result = checkTenantConfig({ reminder_windows_hours: [72, 2], dedupe_window_days: 2, retention_days: 1 });
    expect(result).toMatchObject({ ok: false, issues: [{ path: "config.reminder_windows_hours", rule: "within_dedupe_window" }] });
    expect(checkTenantConfig({ reminder_windows_hours: [48, 2], dedupe_window_days: 2, retention_days: 1 }).ok).toBe(true);
  });

  it("drops a stored bad value (the sweep then uses the default) and names it", () => {
    expect(readStoredTenantConfig({ reminder_windows_hours: [0] })).toEqual({ config: {}, invalidKeys: ["reminder_windows_hours"] });
  });
});
