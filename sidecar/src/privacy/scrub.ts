// Anonymising a stored IPN or webhook body: the buyer's name and email fields, and the user's emails anywhere in it.

export const ERASED = '[erased]';

/** Legacy IPN fields (form-encoded) that name or locate the buyer (COINPAYMENTS.md, "IPN"). */
const FORM_FIELDS = new Set(['buyer_name', 'email', 'first_name', 'last_name', 'address1', 'address2', 'city', 'state', 'zip', 'country', 'country_name', 'phone']);
/** New-platform JSON keys holding the buyer: the whole `buyer` object goes, and any key naming an email. */
const JSON_BUYER = 'buyer';
const JSON_EMAIL = /email/i;
/** Nesting a webhook body never reaches; deeper values are left to the email replacement. */
const MAX_DEPTH = 32;

function scrubJson(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === JSON_BUYER && v !== null ? ERASED : JSON_EMAIL.test(k) && typeof v === 'string' ? ERASED : scrubJson(v, depth + 1);
  }
  return out;
}

function scrubForm(raw: string): string | null {
  if (!/^[\w.%+-]+=/.test(raw)) return null;
  const form = new URLSearchParams(raw);
  let changed = false;
  for (const key of [...form.keys()]) {
    if (FORM_FIELDS.has(key)) {
      form.set(key, ERASED);
      changed = true;
    }
  }
  return changed ? form.toString() : raw;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The body with the buyer's fields replaced and every given email (as typed, or URL-encoded) replaced, whatever
 * its case. A body cut short when stored (an unverified IPN keeps only its start) is not valid JSON: the email
 * replacement still applies to it.
 */
export function anonymiseBody(raw: string, emails: readonly string[]): string {
  let out = raw;
  if (raw.trimStart().startsWith('{')) {
    try {
      out = JSON.stringify(scrubJson(JSON.parse(raw), 0));
    } catch {
      out = raw;
    }
  } else {
    out = scrubForm(raw) ?? raw;
  }
  for (const email of emails) {
    if (!email.includes('@')) continue;
    for (const form of new Set([email, encodeURIComponent(email), email.replace('@', '%40')])) {
      out = out.replace(new RegExp(escape(form), 'gi'), ERASED);
    }
  }
  return out;
}

/** The text with every given email replaced, whatever its case (ledger memos, notification data). */
export function withoutEmails(text: string, emails: readonly string[]): string {
  let out = text;
  for (const email of emails) if (email.includes('@')) out = out.replace(new RegExp(escape(email), 'gi'), ERASED);
  return out;
}
