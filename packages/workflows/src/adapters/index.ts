/** Vendor adapters: SMS and voice (Twilio REST shape), a practice-management system, and card payments (Stripe shape), over one HTTP core. */
export {
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  vendorRequest,
  parseVendorJson,
  readCreated,
  DEFAULT_MAX_RESPONSE_BYTES,
  type VendorRequest,
  type VendorResponse,
} from './http.js';
export {
  TwilioResource,
  ACCEPTED_UNREAD,
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
  type PmsAdapter,
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
  type ChargeInput,
  type ChargeResult,
  type PaymentCallOptions,
  type PaymentProvider,
  type RefundInput,
  type RefundResult,
  type StripeOptions,
} from './payments.js';
