import { z } from "zod";
import { EmailAddress } from "./email-address.js";
import { LEAD_ID_RE, PATIENT_ID_RE } from "./schemas.js";

/** An E.164 phone number: `+`, then 7 to 15 digits, the first not 0. Import it rather than retyping the pattern. */
export const E164_PHONE_RE = /^\+[1-9]\d{6,14}$/;

/** A destination address as carriers name it: an E.164 phone number (`+` and 7 to 15 digits). */
export const PhoneAddress = z.string().regex(E164_PHONE_RE, "must be an E.164 phone number such as +15551234567");
export type PhoneAddress = z.infer<typeof PhoneAddress>;

export const ConsentChannel = z.enum(["sms", "voice", "email", "payment"]);
export type ConsentChannel = z.infer<typeof ConsentChannel>;

export const ConsentStatus = z.enum(["allow", "deny"]);
export type ConsentStatus = z.infer<typeof ConsentStatus>;

const SubjectRef = z
  .object({
    patient_id: z.string().regex(PATIENT_ID_RE, "must be a patient id such as p_1001").optional(),
    lead_id: z.string().regex(LEAD_ID_RE, "must be a lead id such as l_2002").optional(),
  })
  .strict()
  .refine((s) => (s.patient_id === undefined) !== (s.lead_id === undefined), "name exactly one of patient_id or lead_id");

/**
 * A consent change (PUT /v1/consents, `revos consents set`): a subject's consent, a destination
 * address's opt-out, or both at once (which also remembers that the address reaches the subject).
 */
export const ConsentRequest = z
  .object({
    subject: SubjectRef.optional(),
    /** An E.164 number, or an email address for channel `email` (lowercased). */
    address: z.union([PhoneAddress, EmailAddress], { error: "must be an E.164 phone number such as +15551234567, or an email address for channel email" }).optional(),
    channel: ConsentChannel,
    status: ConsentStatus,
    source: z.string().min(1, "must not be empty").max(64),
    evidence_ref: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((r) => r.subject !== undefined || r.address !== undefined, { message: "name a subject, an address or both", path: ["subject"] })
  .refine((r) => r.address === undefined || r.address.includes("@") === (r.channel === "email"), { message: "an email address for channel email, an E.164 number for the others", path: ["address"] });
export type ConsentRequest = z.infer<typeof ConsentRequest>;
