/** Vendor adapters: SMS and voice (Twilio REST shape), email (Postmark, or an SMTP relay), a practice-management system, and card payments (Stripe shape), over one HTTP core. */
export {
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  vendorRequest,
  parseVendorJson,
  readCreated,
  DEFAULT_MAX_RESPONSE_BYTES,
  VENDOR_USER_AGENT,
  type VendorRequest,
  type VendorResponse,
} from './http.js';
export {
  TwilioResource,
  ACCEPTED_UNREAD,
  statusCallbackUrl,
  mapTwilioError,
  TWILIO_RATE_LIMIT_CODES,
  TWILIO_CONFIGURATION_CODES,
  type TwilioOptions,
  type TwilioCallOptions,
  type TwilioCreated,
  type TwilioLookupCriteria,
  type TwilioLookupResult,
} from './twilio.js';
export {
  createTwilioSmsProvider,
  TWILIO_UNSUBSCRIBED_RECIPIENT,
  type SmsProvider,
  type SmsMessage,
  type SmsSendOptions,
  type SmsSendResult,
} from './sms.js';
export {
  createTwilioVoiceProvider,
  type VoiceProvider,
  type VoiceCall,
  type VoiceCallOptions,
  type VoiceCallResult,
} from './voice.js';
export {
  createHttpPmsAdapter,
  PmsAppointment,
  PmsAppointmentList,
  PmsSlotList,
  PmsAppointmentPage,
  PmsScheduledAppointment,
  type PmsAdapter,
  type ListAppointmentsInput,
  type ListAppointmentsResult,
  type ScheduledAppointment,
  type PmsOptions,
  type BookAppointmentInput,
  type BookAppointmentOptions,
  type BookAppointmentResult,
  type ConfirmAppointmentInput,
  type ConfirmAppointmentOptions,
  type ConfirmAppointmentResult,
  type FindSlotsInput,
  type FindSlotsOptions,
  type FindSlotsResult,
  type FindBookingsResult,
  type Slot,
} from './pms.js';
export {
  createStripePaymentProvider,
  EFFECT_METADATA_KEY,
  PaymentIntent,
  Refund,
  STRIPE_API_VERSION,
  STRIPE_IDEMPOTENCY_WINDOW_MS,
  STRIPE_SHOULD_RETRY_HEADER,
  type ChargeInput,
  type ChargeResult,
  type PaymentCallOptions,
  type PaymentProvider,
  type RefundInput,
  type RefundResult,
  type StripeOptions,
} from './payments.js';
export { isRecipientOptedOut, unconfiguredEmailProvider, type EmailLookupResult, type EmailMessage, type EmailProvider, type EmailSendOptions, type EmailSendResult } from './email.js';
export { createPostmarkEmailProvider, POSTMARK_INACTIVE_RECIPIENT, POSTMARK_REFERENCE_KEY, POSTMARK_SERVICE, type PostmarkOptions } from './email-postmark.js';
export { createSmtpEmailProvider, SMTP_SERVICE, type SmtpOptions } from './email-smtp.js';
