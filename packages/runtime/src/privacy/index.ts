export {
  PhiKind,
  PhiFieldName,
  PhiCatalogueConfig,
  type PhiCatalogue,
  DEFAULT_PHI_FIELDS,
  DEFAULT_PHI_CATALOGUE,
  normaliseFieldName,
  createCatalogue,
  extendCatalogue,
  lookupPhiKind,
  isBirthHint,
} from './catalogue.js';
export {
  PhiFinding,
  MIN_TOKEN_KEY_BYTES,
  PhiTokenKeyError,
  createRedactor,
  isSystemReference,
  type Redactor,
  type RedactorOptions,
  type RedactionResult,
} from './redactor.js';
export { createSealer, SealError, type Sealer } from './sealer.js';
export { createPrivacyGuard, isPhiMinimized, redactEnvelope, redactOutput, sealContext, type PrivacyGuard } from './privacy-mode.js';
