// Verification of webhook deliveries by the Standard Webhooks scheme, with node:crypto:
// the webhook-signature header holds space-separated "v1,<base64>" signatures, each an
// HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>" under the endpoint's secret.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { WebhookPayload } from "./payload.js";

/** SECRET_PREFIX starts every signing secret casewire issues. */
export const SECRET_PREFIX = "whsec_";

/** DEFAULT_TOLERANCE_SECONDS is how far a delivery's timestamp may be from the clock. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** WebhookFailure says why a delivery failed verification. */
export type WebhookFailure = "missing-headers" | "timestamp" | "signature" | "secret" | "body";

/** WebhookVerificationError is thrown by verifyWebhook; branch on its reason. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookFailure,
    message: string,
  ) {
    super(`casewire webhook: ${message}`);
    this.name = "WebhookVerificationError";
  }
}

/** WebhookHeaders are a request's headers: a fetch Headers or Node's IncomingHttpHeaders. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** VerifyOptions tunes verifyWebhook. */
export interface VerifyOptions {
  /** toleranceSeconds bounds the clock difference; the default is five minutes. */
  toleranceSeconds?: number;
  /** now is the receiver's clock; the default is Date.now. */
  now?: () => Date;
}

/**
 * verifyWebhook checks a delivery's headers and raw body against the endpoint's secret (or
 * secrets, during a rotation) and returns the decoded payload. It throws a
 * WebhookVerificationError when the headers are missing, the timestamp is outside the
 * tolerance, no signature matches, or the body is not JSON. Pass the body exactly as
 * received: parsing and re-serialising it breaks the signature.
 */
export function verifyWebhook(
  secret: string | string[],
  headers: WebhookHeaders,
  body: string | Uint8Array,
  opts: VerifyOptions = {},
): WebhookPayload {
  const id = header(headers, "webhook-id");
  const ts = header(headers, "webhook-timestamp");
  const sigs = header(headers, "webhook-signature");
  if (!id || !ts || !sigs) {
    throw new WebhookVerificationError("missing-headers", "missing webhook-id, webhook-timestamp or webhook-signature");
  }
  checkTimestamp(ts, opts);
  const raw = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
  const keys = (Array.isArray(secret) ? secret : [secret]).map(decodeSecret);
  if (!keys.some((k) => matches(k, id, ts, raw, sigs))) {
    throw new WebhookVerificationError("signature", "no matching signature");
  }
  try {
    return JSON.parse(raw.toString("utf8")) as WebhookPayload;
  } catch {
    throw new WebhookVerificationError("body", "body is not JSON");
  }
}

/** signWebhook returns a webhook-signature value of one message, as casewire signs it. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string | Uint8Array): string {
  return `v1,${mac(decodeSecret(secret), id, String(timestamp), Buffer.from(body)).toString("base64")}`;
}

function header(headers: WebhookHeaders, name: string): string {
  if (typeof (headers as Headers).get === "function") {
    return (headers as Headers).get(name) ?? "";
  }
  const rec = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : rec[key];
  return (Array.isArray(v) ? v.join(" ") : v) ?? "";
}

function checkTimestamp(ts: string, opts: VerifyOptions): void {
  if (!/^[0-9]+$/.test(ts)) {
    throw new WebhookVerificationError("timestamp", "malformed webhook-timestamp");
  }
  const now = (opts.now?.() ?? new Date()).getTime() / 1000;
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - Number(ts)) > tolerance) {
    throw new WebhookVerificationError("timestamp", "timestamp outside the tolerance");
  }
}

function decodeSecret(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new WebhookVerificationError("secret", "secret is not whsec_ followed by base64");
  }
  return Buffer.from(b64, "base64");
}

function mac(key: Buffer, id: string, ts: string, body: Buffer): Buffer {
  return createHmac("sha256", key).update(`${id}.${ts}.`).update(body).digest();
}

function matches(key: Buffer, id: string, ts: string, body: Buffer, sigs: string): boolean {
  const want = mac(key, id, ts, body);
  return sigs.split(" ").some((s) => {
    const [version, b64] = s.split(",", 2);
    if (version !== "v1" || !b64) {
      return false;
    }
    const got = Buffer.from(b64, "base64");
    return got.length === want.length && timingSafeEqual(got, want);
  });
}
