/**
 * Card numbers must never enter the system (PCI scope): payments name a saved payment method
 * (`pm_...`). This finds strings that look like a primary account number anywhere in a value, so
 * intake can refuse the envelope before anything is stored or logged.
 */

/** 13-19 digits, optionally grouped by single spaces or dashes, not part of a longer digit run or an E.164 number. */
const CANDIDATE = /(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)/g;

/** The Luhn checksum every issued card number satisfies. */
function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** True when `text` holds something shaped like a card number (issuer prefix 2-6, Luhn-valid). */
export function looksLikeCardNumber(text: string): boolean {
  for (const match of text.matchAll(CANDIDATE)) {
    const digits = match[0].replace(/[ -]/g, "");
    if (/^[2-6]/.test(digits) && luhnValid(digits)) return true;
  }
  return false;
}

/** Dotted paths (`payload.card`, `payload.items.0`) of every string under `value` that looks like a card number. */
export function findCardNumbers(value: unknown, path = ""): string[] {
  if (typeof value === "string") return looksLikeCardNumber(value) ? [path] : [];
  if (typeof value === "number") return Number.isSafeInteger(value) && looksLikeCardNumber(String(value)) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => findCardNumbers(v, path ? `${path}.${i}` : String(i)));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => findCardNumbers(v, path ? `${path}.${k}` : k));
  }
  return [];
}
