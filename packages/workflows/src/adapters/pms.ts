/**
 * A practice-management system (PMS) over plain JSON with bearer auth. Wire format is snake_case:
 * - `POST {baseUrl}/appointments` body `{ practice_id, patient_id, slot_start, provider_id?, reason? }`,
 *   header `Idempotency-Key` when given → `{ appointment_id, status }`
 * - `GET {baseUrl}/slots?practice_id=&from=&to=` → `{ slots: [{ start, provider_id }] }`
 * - `POST {baseUrl}/appointments/{appointment_id}/confirm`, header `Idempotency-Key` when given →
 *   `{ appointment_id, status }` (status `confirmed`; confirming twice answers the same)
 * - `GET {baseUrl}/appointments?idempotency_key=` → `{ appointments: [{ appointment_id, status }] }`: the
 *   bookings made with that key (reconciliation of a booking whose answer was lost)
 * - `GET {baseUrl}/slots/free?practice_id=&near=&limit=` → `{ slots: [{ start, provider_id }] }`, the free
 *   slots nearest to `near`, nearest first
 * - `GET {baseUrl}/patients?phone=` → `{ patients: [{ patient_id }] }` (the phone in E.164)
 * - `GET {baseUrl}/appointments?practice_id=&start_from=&start_to=&page_size=&page_token=` →
 *   `{ appointments: [{ appointment_id, patient_id, patient_phone, patient_email?, preferred_channel?, start, status, provider_id? }], next_page_token }`:
 *   the practice's appointments starting in [start_from, start_to), one page; `next_page_token` null on the last
 */
import { EmailAddress, PhoneAddress } from '@revos/envelope';
import { z } from 'zod';
import { joinUrl, parseVendorJson, readCreated, requireAdapterConfig, vendorRequest } from './http.js';

const PMS_SERVICE = 'pms';

export interface PmsOptions {
  baseUrl: string;
  apiKey: string;
  /** Per-call budget in milliseconds (connect + response). */
  timeoutMs: number;
}

export interface BookAppointmentInput {
  practiceId: string;
  patientId: string;
  /** ISO 8601 start of the slot, as returned by `findSlots`. */
  slotStart: string;
  providerId?: string;
  /** Free text; may be PHI, never appears in errors. */
  reason?: string;
}

export interface BookAppointmentOptions {
  signal?: AbortSignal;
  /** Sent as `Idempotency-Key`; the same key on every retry of one booking. */
  idempotencyKey?: string;
}

export interface BookAppointmentResult {
  /** Null when the PMS accepted the booking (2xx) but its answer could not be read. */
  appointmentId: string | null;
  /** Vendor status, e.g. `booked`. */
  status: string;
  latencyMs: number;
}

export interface FindSlotsInput {
  practiceId: string;
  /** ISO 8601 window start. */
  from: string;
  /** ISO 8601 window end. */
  to: string;
}

export interface FindSlotsOptions {
  signal?: AbortSignal;
}

export interface Slot {
  /** ISO 8601 start, with offset. */
  start: string;
  providerId: string;
}

export interface FindSlotsResult {
  slots: Slot[];
  latencyMs: number;
}

export interface ConfirmAppointmentInput {
  appointmentId: string;
}

/** Same options as a booking: the `Idempotency-Key` makes a repeated confirm harmless. */
export type ConfirmAppointmentOptions = BookAppointmentOptions;

export interface ConfirmAppointmentResult {
  appointmentId: string;
  /** Vendor status, e.g. `confirmed`. */
  status: string;
  latencyMs: number;
}

export interface FindFreeSlotsInput {
  practiceId: string;
  /** ISO 8601 instant the caller asked for. */
  near: string;
  /** At most this many slots (1..10). */
  limit: number;
}

export interface FindPatientInput {
  /** E.164 phone number on the patient's record. PHI: never in errors or logs. */
  phone: string;
}

export interface FindPatientResult {
  /** The PMS's patient id; null when no patient has that number (or more than one: we will not guess). */
  patientId: string | null;
  latencyMs: number;
}

export interface ListAppointmentsInput {
  practiceId: string;
  /** ISO 8601: appointments starting at or after this... */
  startFrom: string;
  /** ...and before this. */
  startTo: string;
  /** At most this many on the page (1..500). */
  pageSize: number;
  /** The previous page's `nextPageToken`; absent for the first page. */
  pageToken?: string;
}

/** One appointment of a listing, as read: `patientPhone` is PHI (never in errors or logs). */
export interface ScheduledAppointment {
  appointmentId: string;
  patientId: string;
  /** E.164 or null when the record has none usable. */
  patientPhone: string | null;
  /** PHI: the record's email address (lowercased), or null when it has none usable. */
  patientEmail: string | null;
  /** How the patient prefers reminders: `email` only when the record says so; anything else (or nothing) is `sms`. */
  preferredChannel: 'sms' | 'email';
  /** ISO 8601 start as the PMS wrote it (with its offset). */
  start: string;
  /** Vendor status, e.g. `booked`, `confirmed`, `cancelled`. */
  status: string;
}

export interface ListAppointmentsResult {
  appointments: ScheduledAppointment[];
  /** Rows of the page that did not have the documented shape: left out, counted, never echoed. */
  unreadable: number;
  nextPageToken: string | null;
  latencyMs: number;
}

/** Books, confirms and searches appointments. Throws a `WorkflowError` (see `vendorRequest`) on any failure. */
export interface PmsAdapter {
  bookAppointment(input: BookAppointmentInput, options?: BookAppointmentOptions): Promise<BookAppointmentResult>;
  /** Marks an appointment confirmed by the patient (a "C" reply to a reminder). */
  confirmAppointment(input: ConfirmAppointmentInput, options?: ConfirmAppointmentOptions): Promise<ConfirmAppointmentResult>;
  findSlots(input: FindSlotsInput, options?: FindSlotsOptions): Promise<FindSlotsResult>;
  /** The free slots nearest to a moment, nearest first. */
  findFreeSlots(input: FindFreeSlotsInput, options?: FindSlotsOptions): Promise<FindSlotsResult>;
  /** The patient whose record carries this phone number. */
  findPatientByPhone(input: FindPatientInput, options?: FindSlotsOptions): Promise<FindPatientResult>;
  /** The bookings made with `idempotencyKey` (the token `bookAppointment` sent). */
  findBookings(idempotencyKey: string, options?: FindSlotsOptions): Promise<FindBookingsResult>;
  /** One page of the practice's appointments in a time range (the reminder sweep, WF32). */
  listAppointments(input: ListAppointmentsInput, options?: FindSlotsOptions): Promise<ListAppointmentsResult>;
}

export interface FindBookingsResult {
  bookings: { appointmentId: string; status: string }[];
  latencyMs: number;
}

/** Wire shape of a patient search. */
export const PmsPatientList = z.object({
  patients: z.array(z.object({ patient_id: z.string().min(1) })),
});
export type PmsPatientList = z.infer<typeof PmsPatientList>;

/** Wire shape of a booked appointment. */
export const PmsAppointment = z.object({
  appointment_id: z.string().min(1),
  status: z.string().min(1),
});
export type PmsAppointment = z.infer<typeof PmsAppointment>;

/** Wire shape of a lookup by idempotency key. */
export const PmsAppointmentList = z.object({ appointments: z.array(PmsAppointment) });

/** Wire shape of one appointment of a listing; a start without an offset is refused (a reminder at the wrong hour). */
export const PmsScheduledAppointment = z.object({
  appointment_id: z.string().min(1).max(200),
  patient_id: z.string().min(1).max(200),
  patient_phone: z.string().nullable().optional(),
  patient_email: z.string().nullable().optional(),
  /** Read loosely: a value we do not know means the default channel, never an unreadable row. */
  preferred_channel: z.string().nullable().optional(),
  start: z.iso.datetime({ offset: true }),
  status: z.string().min(1),
});

/** Wire shape of a listing page. Rows are checked one by one, so one malformed row does not hide the page's others. */
export const PmsAppointmentPage = z.object({
  appointments: z.array(z.unknown()),
  next_page_token: z.string().min(1).nullable().optional(),
});

/** Wire shape of a slot search. A start without an offset is rejected: it would be booked in the wrong zone. */
export const PmsSlotList = z.object({
  slots: z.array(
    z.object({
      start: z.iso.datetime({ offset: true }),
      provider_id: z.string().min(1),
    }),
  ),
});
export type PmsSlotList = z.infer<typeof PmsSlotList>;

/** A {@link PmsAdapter} over HTTP. Throws `config_missing` at once if an option is empty. */
export function createHttpPmsAdapter(options: PmsOptions): PmsAdapter {
  requireAdapterConfig(PMS_SERVICE, { baseUrl: options.baseUrl, apiKey: options.apiKey, timeoutMs: options.timeoutMs });
  const auth = `Bearer ${options.apiKey}`;

  /**
   * One read: a GET of `path` with our key, its JSON held to `schema` (a shape error is the vendor's).
   * The query may carry PHI (a phone number): vendorRequest names the endpoint in errors and logs, never the URL.
   */
  async function read<S extends z.ZodType>(endpoint: string, path: string, query: Record<string, string>, schema: S, signal: AbortSignal | undefined) {
    const response = await vendorRequest({
      service: PMS_SERVICE,
      endpoint,
      method: 'GET',
      url: joinUrl(options.baseUrl, `${path}?${new URLSearchParams(query).toString()}`),
      headers: { authorization: auth, accept: 'application/json' },
      timeoutMs: options.timeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    return { body: parseVendorJson(schema, response, { service: PMS_SERVICE, endpoint }), latencyMs: response.latencyMs };
  }

  return {
    async bookAppointment(input, bookOptions = {}) {
      const endpoint = 'appointments.create';
      const headers: Record<string, string> = {
        authorization: auth,
        'content-type': 'application/json',
        accept: 'application/json',
      };
      if (bookOptions.idempotencyKey !== undefined) headers['idempotency-key'] = bookOptions.idempotencyKey;
      const response = await vendorRequest({
        service: PMS_SERVICE,
        endpoint,
        method: 'POST',
        url: joinUrl(options.baseUrl, '/appointments'),
        headers,
        body: JSON.stringify({
          practice_id: input.practiceId,
          patient_id: input.patientId,
          slot_start: input.slotStart,
          provider_id: input.providerId,
          reason: input.reason,
        }),
        timeoutMs: options.timeoutMs,
        ...(bookOptions.signal === undefined ? {} : { signal: bookOptions.signal }),
      });
      const booked = readCreated(PmsAppointment, response);
      if (!booked) return { appointmentId: null, status: 'accepted_unread', latencyMs: response.latencyMs };
      return { appointmentId: booked.appointment_id, status: booked.status, latencyMs: response.latencyMs };
    },

    async confirmAppointment(input, confirmOptions = {}) {
      const endpoint = 'appointments.confirm';
      const headers: Record<string, string> = { authorization: auth, accept: 'application/json' };
      if (confirmOptions.idempotencyKey !== undefined) headers['idempotency-key'] = confirmOptions.idempotencyKey;
      const response = await vendorRequest({
        service: PMS_SERVICE,
        endpoint,
        method: 'POST',
        url: joinUrl(options.baseUrl, `/appointments/${encodeURIComponent(input.appointmentId)}/confirm`),
        headers,
        timeoutMs: options.timeoutMs,
        ...(confirmOptions.signal === undefined ? {} : { signal: confirmOptions.signal }),
      });
      const confirmed = parseVendorJson(PmsAppointment, response, { service: PMS_SERVICE, endpoint });
      return { appointmentId: confirmed.appointment_id, status: confirmed.status, latencyMs: response.latencyMs };
    },
    async findBookings(idempotencyKey, findOptions = {}) {
      const { body: list, latencyMs } = await read('appointments.lookup', '/appointments', { idempotency_key: idempotencyKey }, PmsAppointmentList, findOptions.signal);
      return { bookings: list.appointments.map((a) => ({ appointmentId: a.appointment_id, status: a.status })), latencyMs };
    },

    async findSlots(input, findOptions = {}) {
      const query = { practice_id: input.practiceId, from: input.from, to: input.to };
      const { body: list, latencyMs } = await read('slots.list', '/slots', query, PmsSlotList, findOptions.signal);
      return { slots: list.slots.map((slot) => ({ start: slot.start, providerId: slot.provider_id })), latencyMs };
    },

    async findFreeSlots(input, findOptions = {}) {
      const limit = Math.min(10, Math.max(1, Math.trunc(input.limit)));
      const query = { practice_id: input.practiceId, near: input.near, limit: String(limit) };
      const { body: list, latencyMs } = await read('slots.free', '/slots/free', query, PmsSlotList, findOptions.signal);
      // The vendor promised nearest first and at most `limit`; hold it to both rather than trust it.
      const near = Date.parse(input.near);
      const slots = list.slots
        .map((slot) => ({ start: slot.start, providerId: slot.provider_id }))
        .sort((a, b) => Math.abs(Date.parse(a.start) - near) - Math.abs(Date.parse(b.start) - near))
        .slice(0, limit);
      return { slots, latencyMs };
    },

    async listAppointments(input, listOptions = {}) {
      const query = {
        practice_id: input.practiceId,
        start_from: input.startFrom,
        start_to: input.startTo,
        page_size: String(Math.min(500, Math.max(1, Math.trunc(input.pageSize)))),
        ...(input.pageToken === undefined ? {} : { page_token: input.pageToken }),
      };
      const { body: page, latencyMs } = await read('appointments.list', '/appointments', query, PmsAppointmentPage, listOptions.signal);
      const appointments: ScheduledAppointment[] = [];
      let unreadable = 0;
      for (const row of page.appointments) {
        const parsed = PmsScheduledAppointment.safeParse(row);
        if (!parsed.success) {
          unreadable++;
          continue;
        }
        const a = parsed.data;
        const phone = PhoneAddress.safeParse(a.patient_phone).success ? (a.patient_phone as string) : null;
        const email = EmailAddress.safeParse(a.patient_email);
        appointments.push({
          appointmentId: a.appointment_id,
          patientId: a.patient_id,
          patientPhone: phone,
          patientEmail: email.success ? email.data : null,
          preferredChannel: a.preferred_channel?.trim().toLowerCase() === 'email' ? 'email' : 'sms',
          start: a.start,
          status: a.status,
        });
      }
      return { appointments, unreadable, nextPageToken: page.next_page_token ?? null, latencyMs };
    },

    async findPatientByPhone(input, findOptions = {}) {
      // The number goes in the query as the vendor requires (read() never logs the URL).
      const { body: list, latencyMs } = await read('patients.search', '/patients', { phone: input.phone }, PmsPatientList, findOptions.signal);
      return { patientId: list.patients.length === 1 ? list.patients[0]!.patient_id : null, latencyMs };
    },
  };
}
