// The reference EA client: what wp-plugin-shim/mql/GoldCoinsLicense.mqh does, step for step and with the same
// names, so the tests drive the protocol the MQL include speaks (MetaTrader cannot run here).
import { createHash, randomBytes } from 'node:crypto';

export const GC_SIGNATURE_VERSION = 'goldcoins-licence-v1';

/** GcNormalizeKey: spaces and dashes dropped, upper case. */
export function GcNormalizeKey(key: string): string {
  let out = '';
  for (const ch of key) if (ch !== ' ' && ch !== '-') out += ch;
  return out.toUpperCase();
}

/** GcNonce: 32 hex characters (the include mixes MathRand, GetMicrosecondCount and TimeLocal). */
export function GcNonce(): string {
  return randomBytes(16).toString('hex');
}

/** GcJsonEscape: backslash and quote escaped; control characters never occur in what the EA sends. */
export function GcJsonEscape(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
}

export interface GcRequest {
  key: string;
  account: string;
  accountType: 'demo' | 'real';
  server: string;
  productId: string;
  eaVersion: string;
  nonce: string;
}

/** GcBuildBody: the JSON the include posts, fields in this order. */
export function GcBuildBody(r: GcRequest): string {
  return (
    `{"key":"${GcJsonEscape(r.key)}","account":"${GcJsonEscape(r.account)}","account_type":"${r.accountType}",` +
    `"server":"${GcJsonEscape(r.server)}","product_id":"${GcJsonEscape(r.productId)}",` +
    `"ea_version":"${GcJsonEscape(r.eaVersion)}","nonce":"${GcJsonEscape(r.nonce)}"}`
  );
}

/**
 * GcJsonField: the string value of "name" in a flat JSON object (every field of the answer is a string),
 * \" and \\ unescaped; "" when the field is missing.
 */
export function GcJsonField(json: string, name: string): string {
  const pattern = `"${name}":"`;
  const start = json.indexOf(pattern);
  if (start < 0) return '';
  let out = '';
  for (let i = start + pattern.length; i < json.length; i++) {
    const ch = json[i]!;
    if (ch === '\\' && i + 1 < json.length) {
      out += json[i + 1]!;
      i++;
      continue;
    }
    if (ch === '"') return out;
    out += ch;
  }
  return '';
}

function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** GcHmacSha256Hex: HMAC built from SHA-256 by hand (MQL's CryptEncode has SHA-256 but no HMAC). */
export function GcHmacSha256Hex(key: string, message: string): string {
  let k: Buffer = Buffer.from(key, 'utf8');
  if (k.length > 64) k = sha256(k);
  const ipad = Buffer.alloc(64, 0x36);
  const opad = Buffer.alloc(64, 0x5c);
  for (let i = 0; i < k.length; i++) {
    ipad[i] = ipad[i]! ^ k[i]!;
    opad[i] = opad[i]! ^ k[i]!;
  }
  const inner = sha256(Buffer.concat([ipad, Buffer.from(message, 'utf8')]));
  return sha256(Buffer.concat([opad, inner])).toString('hex');
}

/** GcCanonical: the signed text, in the protocol's field order. */
export function GcCanonical(json: string): string {
  const fields = ['nonce', 'product_id', 'account', 'status', 'reason', 'expires_at', 'latest_version', 'server_time'];
  let out = GC_SIGNATURE_VERSION;
  for (const f of fields) out += `\n${GcJsonField(json, f)}`;
  return out;
}

export type GcVerdict = 'valid' | 'invalid' | 'tampered';

/** GcCheckAnswer: the signature, then the nonce, account and product echoed; only then the status counts. */
export function GcCheckAnswer(key: string, req: GcRequest, json: string): GcVerdict {
  const signature = GcJsonField(json, 'signature');
  if (signature === '' || GcHmacSha256Hex(key, GcCanonical(json)) !== signature.toLowerCase()) return 'tampered';
  if (GcJsonField(json, 'nonce') !== req.nonce) return 'tampered';
  if (GcJsonField(json, 'account') !== req.account || GcJsonField(json, 'product_id') !== req.productId) return 'tampered';
  return GcJsonField(json, 'status') === 'valid' ? 'valid' : 'invalid';
}

/** What WebRequest gives the include: the HTTP status (-1 when it failed) and the body. */
export type GcTransport = (url: string, body: string) => Promise<{ status: number; body: string }>;

export const fetchTransport: GcTransport = async (url, body) => {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: -1, body: '' };
  }
};

export interface GcSettings {
  url: string;
  key: string;
  productId: string;
  eaVersion: string;
  account: string;
  accountType: 'demo' | 'real';
  server: string;
  checkHours: number;
  graceHours: number;
  /** MQLInfoInteger(MQL_TESTER): WebRequest does not run in the Strategy Tester, so the EA is allowed there. */
  inTester: boolean;
}

/** CGoldCoinsLicense: checks at start and every checkHours, keeps the last good check for the offline grace. */
export class GcLicence {
  status = 'not checked';
  reason = '';
  expiresAt = '';
  latestVersion = '';
  allowed = false;
  private lastValidMs = 0;
  private lastCheckMs = 0;

  constructor(
    private readonly s: GcSettings,
    private readonly transport: GcTransport = fetchTransport,
  ) {}

  /** OnInit and OnTimer: checks when due; returns whether the EA may trade. */
  async Check(nowMs: number): Promise<boolean> {
    if (this.s.inTester) {
      this.status = 'Strategy Tester';
      this.allowed = true;
      return true;
    }
    if (this.lastCheckMs !== 0 && nowMs - this.lastCheckMs < this.s.checkHours * 3_600_000) return this.allowed;
    this.lastCheckMs = nowMs;
    const key = GcNormalizeKey(this.s.key);
    const req: GcRequest = {
      key,
      account: this.s.account,
      accountType: this.s.accountType,
      server: this.s.server,
      productId: this.s.productId,
      eaVersion: this.s.eaVersion,
      nonce: GcNonce(),
    };
    const res = await this.transport(this.s.url, GcBuildBody(req));
    if (res.status !== 200) return this.Offline(nowMs, res.status === -1 ? 'no connection' : `HTTP ${res.status}`);
    const verdict = GcCheckAnswer(key, req, res.body);
    this.reason = verdict === 'tampered' ? 'bad signature' : GcJsonField(res.body, 'reason');
    if (verdict === 'valid') {
      this.status = 'valid';
      this.expiresAt = GcJsonField(res.body, 'expires_at');
      this.latestVersion = GcJsonField(res.body, 'latest_version');
      this.lastValidMs = nowMs;
      this.allowed = true;
    } else {
      this.status = verdict;
      this.allowed = false;
    }
    return this.allowed;
  }

  /** No answer: still allowed within graceHours of the last valid one. */
  private Offline(nowMs: number, why: string): boolean {
    this.reason = why;
    this.allowed = this.lastValidMs !== 0 && nowMs - this.lastValidMs < this.s.graceHours * 3_600_000;
    this.status = this.allowed ? 'offline (grace)' : 'offline';
    return this.allowed;
  }

  /** The chart comment the include shows. */
  StatusText(): string {
    let text = `Gold Coins licence: ${this.status}`;
    if (this.reason !== '') text += ` (${this.reason})`;
    if (this.expiresAt !== '') text += `, until ${this.expiresAt}`;
    if (this.latestVersion !== '' && this.latestVersion !== this.s.eaVersion) text += `, version ${this.latestVersion} available`;
    return text;
  }
}
