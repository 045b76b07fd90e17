import { describe, expect, it } from "vitest";
import { E164_PHONE_RE, LEAD_ID_RE, PATIENT_ID_RE, PhoneAddress, Subject } from "./index.js";

// The exported patterns are what the contracts check, so code that imports them agrees with intake.
describe("shared patterns", () => {
  const samples = ["+15551234567", "+4930123456789", "+0123456789", "15551234567", "+1555", "+1234567890123456", "p_1001", "p_", "l_2002", "p_bad id", `p_${"a".repeat(81)}`, "P_1001"];

  it("E164_PHONE_RE accepts what PhoneAddress accepts", () => {
    for (const s of samples) expect(E164_PHONE_RE.test(s), s).toBe(PhoneAddress.safeParse(s).success);
    expect(E164_PHONE_RE.test("+15551234567")).toBe(true);
  });

  it("PATIENT_ID_RE and LEAD_ID_RE accept what subject.patient_id and subject.lead_id accept", () => {
    for (const s of samples) {
      expect(PATIENT_ID_RE.test(s), s).toBe(Subject.safeParse({ patient_id: s }).success);
      expect(LEAD_ID_RE.test(s), s).toBe(Subject.safeParse({ lead_id: s }).success);
    }
    expect(PATIENT_ID_RE.test("p_1001")).toBe(true);
    expect(LEAD_ID_RE.test("l_2002")).toBe(true);
  });
});
