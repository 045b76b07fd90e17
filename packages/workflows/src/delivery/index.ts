/**
 * `@revos/workflows/delivery`: the vocabulary of delivery receipts (statuses, their ranks, carrier
 * errors in words), with no adapter or database behind it, for the producer's status route and
 * WF33_Delivery_Status alike.
 */
export { deriveDeliveryState, deliveryRank, isNotReached, knownStatuses, NO_DELIVERY_STATE, type DeliveryChannel } from './delivery-status.js';
export { deliveryFailureReason } from './carrier-errors.js';
