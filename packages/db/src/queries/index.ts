// The queries, one operation a file, in folders by table or subject. Row types are exported by ../rows.ts.
// runs
export * from './runs/acceptRun.js';
export * from './runs/countRecentBreaches.js';
export * from './runs/countReplays.js';
export * from './runs/countRunsForExport.js';
export * from './runs/countUnfinishedRunsByVersion.js';
export * from './runs/findAcceptedRun.js';
export * from './runs/isRunAccepted.js';
export * from './runs/findRun.js';
export * from './runs/findRunByAnyId.js';
export * from './runs/findRunEvents.js';
export * from './runs/findRunTasks.js';
export * from './runs/findRunTraceContext.js';
export * from './runs/findRunTree.js';
export * from './runs/listDeliveryStatuses.js';
export * from './runs/listEventsForPhiScan.js';
export * from './runs/listFailedRuns.js';
export * from './runs/listRunsForExport.js';
export * from './runs/listRunsForPhiScan.js';
export * from './runs/listUnsettledRuns.js';
export * from './runs/oldestWaitingRunByLane.js';
export * from './runs/recordOperatorEvent.js';
export * from './runs/recordRunOutcome.js';
export * from './runs/recordRunOutcomes.js';
export * from './runs/workflowFailureRates.js';
// ledger
export * from './ledger/claimIdempotencyKey.js';
export * from './ledger/claimIdempotencyKeys.js';
export * from './ledger/lease.js';
// effects
export * from './effects/completeEffect.js';
export * from './effects/completeEffects.js';
export * from './effects/effect-completion.js';
export * from './effects/failEffect.js';
export * from './effects/findUnsettledEffect.js';
export * from './effects/findSendByVendorSid.js';
export * from './effects/listRunEffects.js';
export * from './effects/loadEffectJournal.js';
export * from './effects/markEffectUnknown.js';
export * from './effects/recordReconciliation.js';
export * from './effects/settleUnknownEffect.js';
export * from './effects/startEffect.js';
export * from './effects/startEffects.js';
// outbox
export * from './outbox/dispatchOutbox.js';
export * from './outbox/oldestPendingOutbox.js';
export * from './outbox/outboxLagSeconds.js';
// tasks
export * from './tasks/countOpenTasks.js';
export * from './tasks/findTaskStatus.js';
export * from './tasks/listOpenTasks.js';
export * from './tasks/listTasks.js';
export * from './tasks/openStaffTask.js';
export * from './tasks/transitionTask.js';
// consents
export * from './consents/checkOutboundConsent.js';
export * from './consents/consent-status.js';
export * from './consents/findConsent.js';
export * from './consents/listConsents.js';
export * from './consents/recordConsentChange.js';
export * from './consents/setConsent.js';
// tenants
export * from './tenants/changeTenantPolicy.js';
export * from './tenants/loadTenant.js';
export * from './tenants/loadTenantPolicy.js';
export * from './tenants/listFairShareWeights.js';
export * from './tenants/upsertTenant.js';
// api-keys
export * from './api-keys/createApiKey.js';
export * from './api-keys/findLiveApiKey.js';
export * from './api-keys/hashApiKey.js';
export * from './api-keys/issueApiKey.js';
export * from './api-keys/listApiKeys.js';
export * from './api-keys/revokeApiKey.js';
// alerts
export * from './alerts/latestAlertAt.js';
export * from './alerts/recordAlert.js';
export * from './alerts/recordAlertUnlessRecent.js';
// retention
export * from './retention/countPrunable.js';
export * from './retention/countPrunableAlerts.js';
export * from './retention/deleteRuns.js';
export * from './retention/listPrunableRuns.js';
export * from './retention/listTenantRetentionSettings.js';
export * from './retention/pruneAlerts.js';
export * from './retention/pruneLedger.js';
export * from './retention/retention-policy.js';
// subjects
export * from './subjects/findSubjectByAddress.js';
export * from './subjects/rememberSubjectContact.js';
// appointments
export * from './appointments/answerAppointmentPrompt.js';
export * from './appointments/findOpenAppointmentPrompt.js';
export * from './appointments/recordAppointmentPrompt.js';
// voice
export * from './voice/loadVoiceCallState.js';
export * from './voice/saveVoiceTurn.js';
