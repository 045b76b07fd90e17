import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import {
  DEFAULT_PHI_CATALOGUE,
  PhiCatalogueConfig,
  createCatalogue,
  extendCatalogue,
  isBirthHint,
  lookupPhiKind,
} from './catalogue.js';
import { createRedactor } from './redactor.js';

const KEY = 'catalogue-test-key-0123456789-abcdefghijklmnopqrstuvwxyz';

describe('default catalogue', () => {
  it('matches snake_case, camelCase, PascalCase and kebab-case spellings of one field', () => {
    for (const field of ['first_name', 'firstName', 'FirstName', 'first-name', 'FIRST_NAME']) {
      expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, field)).toBe('name');
    }
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'dateOfBirth')).toBe('dob');
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'medicalRecordNumber')).toBe('identifier');
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'postalCode')).toBe('address');
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'reasonText')).toBe('free_text');
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'to')).toBe('phone');
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'emailAddress')).toBe('email');
  });

  it('matches multi-word entries and PHI words as the end of a longer name, but not every *_name', () => {
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'patient_first_name')).toBe('name');
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'guardianPhone')).toBe('phone');
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'billing_address')).toBe('address');
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'remote_ip_address')).toBe('identifier');
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'workflow_name')).toBeUndefined();
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'event_text')).toBeUndefined();
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'patient_id')).toBeUndefined();
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'created_at')).toBeUndefined();
  });

  it('knows which field names hint at a birth date', () => {
    expect(isBirthHint('patientBirthDateUtc')).toBe(true);
    expect(isBirthHint('dob_text')).toBe(true);
    expect(isBirthHint('created_at')).toBe(false);
  });
});

describe('extendCatalogue', () => {
  it('adds a deployment identifier without touching the base', () => {
    const extended = extendCatalogue(DEFAULT_PHI_CATALOGUE, { insurance_group: 'identifier' });
    expect(lookupPhiKind(extended, 'insurance_group')).toBe('identifier');
    expect(lookupPhiKind(extended, 'insuranceGroup')).toBe('identifier');
    expect(lookupPhiKind(extended, 'primary_insurance_group')).toBe('identifier');
    expect(lookupPhiKind(DEFAULT_PHI_CATALOGUE, 'insurance_group')).toBeUndefined();
    expect(lookupPhiKind(extended, 'first_name')).toBe('name');
  });

  it('is applied by a redactor built on it', () => {
    const doc = { insurance_group: 'GRP-88812-CANARY', nested: { insuranceGroup: 'GRP-99901-CANARY' } };
    const plain = createRedactor({ key: KEY }).redact(doc);
    expect(JSON.stringify(plain.value)).toContain('GRP-88812-CANARY');

    const redactor = createRedactor({ key: KEY, catalogue: extendCatalogue(DEFAULT_PHI_CATALOGUE, { insurance_group: 'identifier' }) });
    const { value, findings } = redactor.redact(doc);
    expect(JSON.stringify(value)).not.toContain('CANARY');
    expect(value).toEqual({ insurance_group: expect.stringMatching(/^tok_identifier_[0-9a-f]{24}$/), nested: { insuranceGroup: expect.stringMatching(/^tok_identifier_/) } });
    expect(findings).toEqual([
      { path: 'insurance_group', kind: 'identifier', how: 'field' },
      { path: 'nested.insuranceGroup', kind: 'identifier', how: 'field' },
    ]);
  });

  it('can change a field’s kind but never remove it', () => {
    const extended = extendCatalogue(DEFAULT_PHI_CATALOGUE, { summary: 'free_text', city: 'identifier' });
    expect(lookupPhiKind(extended, 'summary')).toBe('free_text');
    expect(lookupPhiKind(extended, 'city')).toBe('identifier');
  });

  it('rejects unknown kinds and malformed field names', () => {
    expect(() => extendCatalogue(DEFAULT_PHI_CATALOGUE, { foo: 'secret' as never })).toThrow(ZodError);
    expect(() => createCatalogue({ 'bad name!': 'name' })).toThrow(ZodError);
    expect(() => createCatalogue({ '': 'name' })).toThrow(ZodError);
  });

  it('exposes the config schema', () => {
    expect(PhiCatalogueConfig.safeParse({ insurance_group: 'identifier', nextOfKin: 'name' }).success).toBe(true);
    expect(PhiCatalogueConfig.safeParse({ insurance_group: 'secret' }).success).toBe(false);
    expect(PhiCatalogueConfig.safeParse({ '1abc': 'name' }).success).toBe(false);
  });
});
