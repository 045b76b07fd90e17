import { z } from 'zod';

/** What a piece of PHI is; picks the token label and how the value is normalised before hashing. */
export const PhiKind = z.enum(['name', 'phone', 'email', 'dob', 'address', 'free_text', 'identifier']);
export type PhiKind = z.infer<typeof PhiKind>;

/**
 * A field name as written in configuration: `insurance_group`, `insuranceGroup`, `insurance-group`.
 * Letters first, then letters, digits, `_` or `-`; at most 100 characters.
 */
export const PhiFieldName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and contain only letters, digits, _ or -');

/**
 * Catalogue configuration a tenant or deployment supplies: field name → kind. It can only add fields
 * or change a field's kind; nothing in it can make a catalogued field non-PHI.
 */
export const PhiCatalogueConfig = z.record(PhiFieldName, PhiKind);
export type PhiCatalogueConfig = z.infer<typeof PhiCatalogueConfig>;

/**
 * Field names (normalised by {@link normaliseFieldName}) → kind. Build it with
 * {@link createCatalogue} or {@link extendCatalogue}; never mutate one in place (the default is shared).
 */
export type PhiCatalogue = ReadonlyMap<string, PhiKind>;

/**
 * The default catalogue. Names are listed once in snake_case; lookups are case-insensitive and ignore
 * `_`/`-`, so `first_name`, `firstName`, `FirstName` and `first-name` are one entry.
 *
 * `to`, `from`, `caller` and `callee` are phone fields because that is what they hold in SMS and voice
 * payloads; a `from`/`to` date range elsewhere gets tokenized too. That over-redaction is deliberate:
 * a missed phone number is a HIPAA breach, a tokenized date range is an inconvenience.
 */
export const DEFAULT_PHI_FIELDS: Readonly<Record<string, PhiKind>> = Object.freeze({
  // names
  name: 'name',
  first_name: 'name',
  last_name: 'name',
  middle_name: 'name',
  given_name: 'name',
  family_name: 'name',
  full_name: 'name',
  maiden_name: 'name',
  preferred_name: 'name',
  nickname: 'name',
  display_name: 'name',
  patient_name: 'name',
  caller_name: 'name',
  callee_name: 'name',
  contact_name: 'name',
  guardian_name: 'name',
  parent_name: 'name',
  spouse_name: 'name',
  emergency_contact_name: 'name',
  subscriber_name: 'name',
  insured_name: 'name',
  responsible_party_name: 'name',
  // phones
  phone: 'phone',
  phones: 'phone',
  phone_number: 'phone',
  phone_numbers: 'phone',
  telephone: 'phone',
  tel: 'phone',
  mobile: 'phone',
  mobile_phone: 'phone',
  mobile_number: 'phone',
  cell: 'phone',
  cell_phone: 'phone',
  home_phone: 'phone',
  work_phone: 'phone',
  fax: 'phone',
  fax_number: 'phone',
  to: 'phone',
  from: 'phone',
  caller: 'phone',
  callee: 'phone',
  caller_id: 'phone',
  ani: 'phone',
  callback_number: 'phone',
  confirm_to: 'phone',
  // emails
  email: 'email',
  emails: 'email',
  email_address: 'email',
  e_mail: 'email',
  reply_to: 'email',
  // dates of birth
  dob: 'dob',
  date_of_birth: 'dob',
  birth_date: 'dob',
  birthdate: 'dob',
  birthday: 'dob',
  // addresses
  address: 'address',
  addresses: 'address',
  home_address: 'address',
  mailing_address: 'address',
  street: 'address',
  street_address: 'address',
  address_line: 'address',
  address_line1: 'address',
  address_line2: 'address',
  address1: 'address',
  address2: 'address',
  line1: 'address',
  line2: 'address',
  city: 'address',
  county: 'address',
  zip: 'address',
  zip_code: 'address',
  zipcode: 'address',
  postal_code: 'address',
  postcode: 'address',
  geo: 'address',
  latitude: 'address',
  longitude: 'address',
  // free text
  body: 'free_text',
  message: 'free_text',
  message_body: 'free_text',
  text: 'free_text',
  transcript: 'free_text',
  transcription: 'free_text',
  notes: 'free_text',
  note: 'free_text',
  utterance: 'free_text',
  speech_result: 'free_text',
  say: 'free_text',
  comment: 'free_text',
  comments: 'free_text',
  reason_text: 'free_text',
  summary_text: 'free_text',
  chief_complaint: 'free_text',
  symptoms: 'free_text',
  voicemail: 'free_text',
  // an email's subject line and attachment names (WF36, WF37): the patient's words
  subject_line: 'free_text',
  attachment_name: 'free_text',
  // identifiers
  ssn: 'identifier',
  social_security_number: 'identifier',
  mrn: 'identifier',
  medical_record_number: 'identifier',
  chart_number: 'identifier',
  insurance_id: 'identifier',
  member_id: 'identifier',
  subscriber_id: 'identifier',
  policy_number: 'identifier',
  group_number: 'identifier',
  medicare_id: 'identifier',
  medicaid_id: 'identifier',
  drivers_license: 'identifier',
  driver_license: 'identifier',
  drivers_license_number: 'identifier',
  passport_number: 'identifier',
  account_number: 'identifier',
  license_plate: 'identifier',
  device_serial: 'identifier',
  ip_address: 'identifier',
});

/**
 * Single words that mark a field as PHI when they end a longer name (`patient_phone`, `guardianEmail`,
 * `billing_address`). Other single-word entries (`name`, `to`, `text`, `city`) match only exactly, so
 * `workflow_name` or `event_text` are not swept up; multi-word entries (`first_name`) always match as
 * a suffix (`patient_first_name`).
 */
const SUFFIX_WORDS: ReadonlySet<string> = new Set(['phone', 'mobile', 'fax', 'email', 'dob', 'birthdate', 'address', 'ssn', 'mrn', 'transcript']);

/** `firstName`, `first_name`, `First-Name` → `firstname`: the catalogue's key form. */
export function normaliseFieldName(field: string): string {
  return field.replace(/[_\-\s]/g, '').toLowerCase();
}

/** `patientFirstName` / `patient_first_name` → `['patient', 'first', 'name']`. */
function fieldWords(field: string): string[] {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
    .split(/[_\-\s]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

/** Builds a catalogue from field name → kind entries (validated: a bad name or kind throws a ZodError). */
export function createCatalogue(fields: Readonly<Record<string, PhiKind>>): PhiCatalogue {
  const parsed = PhiCatalogueConfig.parse(fields);
  const map = new Map<string, PhiKind>();
  for (const [field, kind] of Object.entries(parsed)) map.set(normaliseFieldName(field), kind);
  return map;
}

/** The default catalogue ({@link DEFAULT_PHI_FIELDS}). */
export const DEFAULT_PHI_CATALOGUE: PhiCatalogue = createCatalogue(DEFAULT_PHI_FIELDS);

/**
 * A new catalogue: `base` plus `extra` (a tenant's or deployment's own identifiers, e.g.
 * `{ insurance_group: 'identifier' }`). An entry in `extra` overrides the kind of the same field in
 * `base`; no entry can remove one. `base` is not modified. Invalid entries throw a ZodError.
 */
export function extendCatalogue(base: PhiCatalogue, extra: Readonly<Record<string, PhiKind>>): PhiCatalogue {
  const map = new Map(base);
  for (const [field, kind] of createCatalogue(extra)) map.set(field, kind);
  return map;
}

/**
 * The kind of a field name in `catalogue`, or undefined: first the whole name, then its trailing words
 * (longest first) under the suffix rule of {@link SUFFIX_WORDS}.
 */
export function lookupPhiKind(catalogue: PhiCatalogue, field: string): PhiKind | undefined {
  const exact = catalogue.get(normaliseFieldName(field));
  if (exact !== undefined) return exact;
  const words = fieldWords(field);
  for (let start = 1; start < words.length; start++) {
    const suffix = words.slice(start);
    const key = suffix.join('');
    if (suffix.length === 1 && !SUFFIX_WORDS.has(key)) continue;
    const kind = catalogue.get(key);
    if (kind !== undefined) return kind;
  }
  return undefined;
}

/** Whether a field name hints at a birth date, so dates inside its string value are treated as a DOB. */
export function isBirthHint(field: string): boolean {
  const n = normaliseFieldName(field);
  return n.includes('birth') || n.includes('dob') || n.includes('born');
}
