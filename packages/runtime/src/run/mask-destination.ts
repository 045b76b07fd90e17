/**
 * A destination as staff may see it in a question: the last four digits of a phone number and nothing
 * else (`+15551230001` → `+*******0001`). Anything that is not a phone number is reduced to its length,
 * so a free-text target can never leak into a task.
 */
export function maskDestination(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  const digits = value.replace(/[^\d]/g, '');
  if (/^\+?[\d\s().-]{7,20}$/.test(value) && digits.length >= 7) {
    return `${value.startsWith('+') ? '+' : ''}${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
  }
  return `[${value.length} characters]`;
}
