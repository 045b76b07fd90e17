import { describe, expect, it } from "vitest";
import { isSemver, isWorkflowName, workflowNumber } from "./naming.js";

describe("workflow names", () => {
  it.each([
    "WF17_RealTime_Voice_Orchestrator",
    "WF18_Schedule",
    "WF00_A",
    "WF71_Fallback_2",
    "WF42_3D_Scan",
    `WF01_${"A".repeat(59)}`, // exactly 64
  ])("accepts %s", (name) => expect(isWorkflowName(name)).toBe(true));

  it.each([
    "WF1_Short",
    "WF123_Short",
    "wf17_Short",
    "WF17",
    "WF17_",
    "WF17_short",
    "WF17__Double",
    "WF17_Trailing_",
    "WF17_Has-Dash",
    "WF17_Has Space",
    "WF17_Colon:Bad",
    "WF17_Ünicode",
    ` WF17_Space`,
    `WF01_${"A".repeat(60)}`, // 65
    "",
  ])("rejects %j", (name) => expect(isWorkflowName(name)).toBe(false));

  it("rejects non-strings", () => {
    expect(isWorkflowName(17)).toBe(false);
    expect(isWorkflowName(null)).toBe(false);
  });

  it("workflowNumber reads the two digits", () => {
    expect(workflowNumber("WF17_RealTime_Voice_Orchestrator")).toBe(17);
    expect(workflowNumber("WF05_X")).toBe(5);
    expect(() => workflowNumber("WF5_X")).toThrow(TypeError);
  });
});

describe("semver", () => {
  it.each([
    "0.0.0",
    "1.0.0",
    "10.20.30",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-0.3.7",
    "1.0.0-x.7.z.92",
    "1.0.0-alpha+001",
    "1.0.0+20130313144700",
    "1.0.0-beta+exp.sha.5114f85",
    "1.0.0-x-y-z.--",
  ])("accepts %s", (v) => expect(isSemver(v)).toBe(true));

  it.each([
    "1",
    "1.0",
    "v1.0.0",
    "01.0.0",
    "1.01.0",
    "1.0.01",
    "1.0.0-",
    "1.0.0-01",
    "1.0.0+",
    "1.0.0-alpha..1",
    "1.0.0 ",
    "1.0.0-alpha_beta",
    `1.0.0-${"a".repeat(300)}`,
    "",
  ])("rejects %j", (v) => expect(isSemver(v)).toBe(false));
});
