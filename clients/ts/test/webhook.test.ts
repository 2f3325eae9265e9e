// verifyWebhook against deliveries signed independently of it, with node:crypto directly.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import {
  EventType,
  Outcome,
  WebhookTypes,
  WebhookVerificationError,
  signWebhook,
  verifyWebhook,
  webhookEvent,
  type WebhookFailure,
  type WebhookPayload,
} from "../src/index.js";

const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

// sign computes one Standard Webhooks signature without the code under test.
function sign(secret: string, id: string, ts: number, body: string): string {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64")}`;
}

const payload: WebhookPayload = {
  type: WebhookTypes.statusChanged,
  timestamp: "2026-12-03T18:00:00Z",
  data: {
    id: "evt_1",
    type: "EVENT_TYPE_STATUS_CHANGED",
    receiptNumber: "IOE0912345678",
    sequence: "2",
    cursor: "c2",
    status: {
      category: "CATEGORY_DECISION",
      outcome: "OUTCOME_APPROVED",
      actionRequired: false,
      match: "MATCH_KIND_EXACT",
      canonicalTitle: "Case Was Approved",
      formType: "I-129",
    },
    uscis: null,
    uscisTime: null,
    observeTime: "2026-12-03T18:00:00Z",
    source: "EVENT_SOURCE_POLL",
    matterId: "",
    matterExternalId: "",
    clientReference: "garcia",
    labels: ["h1b"],
    previousStatus: null,
    webhookEndpointId: "whe_1",
  },
};
const body = JSON.stringify(payload);

function headersAt(ts: number, signature: string): Record<string, string> {
  return { "webhook-id": "evt_1", "webhook-timestamp": String(ts), "webhook-signature": signature };
}

function failure(fn: () => unknown): WebhookFailure | undefined {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WebhookVerificationError, String(e));
    return e.reason;
  }
  return undefined;
}

describe("verifyWebhook", () => {
  const secret = newSecret();
  const other = newSecret();
  const now = Math.floor(Date.now() / 1000);

  test("accepts a valid delivery and decodes its payload", () => {
    const got = verifyWebhook(secret, headersAt(now, sign(secret, "evt_1", now, body)), body);
    assert.deepEqual(got, payload);
    const ev = webhookEvent(got);
    assert.equal(ev.type, EventType.STATUS_CHANGED);
    assert.equal(ev.sequence, 2n);
    assert.equal(ev.status?.outcome, Outcome.APPROVED);
  });

  test("accepts a Buffer body and fetch Headers", () => {
    const h = new Headers(headersAt(now, sign(secret, "evt_1", now, body)));
    assert.equal(verifyWebhook(secret, h, Buffer.from(body)).type, "case.status_changed");
  });

  const cases: { name: string; want: WebhookFailure | undefined; run: () => unknown }[] = [
    {
      name: "tampered body",
      want: "signature",
      run: () => verifyWebhook(secret, headersAt(now, sign(secret, "evt_1", now, body)),
        body.replace("IOE0912345678", "IOE0999999999")),
    },
    {
      name: "tampered id",
      want: "signature",
      run: () => verifyWebhook(secret,
        { ...headersAt(now, sign(secret, "evt_1", now, body)), "webhook-id": "evt_2" }, body),
    },
    {
      name: "wrong secret",
      want: "signature",
      run: () => verifyWebhook(secret, headersAt(now, sign(other, "evt_1", now, body)), body),
    },
    {
      name: "expired timestamp",
      want: "timestamp",
      run: () => verifyWebhook(secret, headersAt(now - 301, sign(secret, "evt_1", now - 301, body)), body),
    },
    {
      name: "timestamp from the future",
      want: "timestamp",
      run: () => verifyWebhook(secret, headersAt(now + 301, sign(secret, "evt_1", now + 301, body)), body),
    },
    {
      name: "wider tolerance accepts an older delivery",
      want: undefined,
      run: () => verifyWebhook(secret, headersAt(now - 600, sign(secret, "evt_1", now - 600, body)), body,
        { toleranceSeconds: 900 }),
    },
    {
      name: "multiple signatures, one matching",
      want: undefined,
      run: () => verifyWebhook(secret,
        headersAt(now, `${sign(other, "evt_1", now, body)} ${sign(secret, "evt_1", now, body)}`), body),
    },
    {
      name: "multiple signatures, none matching",
      want: "signature",
      run: () => verifyWebhook(secret,
        headersAt(now, `${sign(other, "evt_1", now, body)} v2,${sign(secret, "evt_1", now, body).slice(3)}`),
        body),
    },
    {
      name: "rotation: either of two secrets",
      want: undefined,
      run: () => verifyWebhook([other, secret], headersAt(now, sign(secret, "evt_1", now, body)), body),
    },
    {
      name: "missing signature header",
      want: "missing-headers",
      run: () => verifyWebhook(secret, { "webhook-id": "evt_1", "webhook-timestamp": String(now) }, body),
    },
    {
      name: "secret that is not base64",
      want: "secret",
      run: () => verifyWebhook("whsec_!!!", headersAt(now, sign(secret, "evt_1", now, body)), body),
    },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(failure(c.run), c.want));
  }

  test("signWebhook matches the Standard Webhooks published vector", () => {
    const sig = signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330, '{"test": 2432232314}');
    assert.equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });
});
