// Typed webhook payloads: the JSON body casewire POSTs to a webhook endpoint. The body is
// {"type", "timestamp", "data"} where data is a casewire.v1.Event in its JSON form, the
// same as GET /v1/events/{id} answers. Nothing here imports a Node module.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import {
  EventSchema,
  type Event,
  type EventSource,
  type EventType,
} from "./gen/casewire/v1/event_pb.js";
import type { Category, MatchKind, Outcome } from "./gen/casewire/v1/status_pb.js";

/** WebhookTypes are the delivery types casewire sends today. */
export const WebhookTypes = {
  baseline: "case.baseline",
  statusChanged: "case.status_changed",
  statusUpdated: "case.status_updated",
  history: "case.history",
  endpointDisabled: "webhook_endpoint.disabled",
  test: "webhook_endpoint.test",
} as const;

/**
 * WebhookType names what a delivery reports. Receivers should ignore types they do not
 * know: new ones may be added.
 */
export type WebhookType = (typeof WebhookTypes)[keyof typeof WebhookTypes] | (string & {});

/** EnumJson is an enum value's JSON name, such as "CATEGORY_DECISION". */
type EnumJson<Prefix extends string, E> = `${Prefix}_${Extract<keyof E, string>}`;

/** NormalizedStatusJson is the JSON form of casewire.v1.NormalizedStatus. */
export interface NormalizedStatusJson {
  category: EnumJson<"CATEGORY", typeof Category>;
  outcome: EnumJson<"OUTCOME", typeof Outcome>;
  actionRequired: boolean;
  match: EnumJson<"MATCH_KIND", typeof MatchKind>;
  canonicalTitle: string;
  formType: string;
}

/** UscisStatusJson is the JSON form of casewire.v1.UscisStatus, USCIS's own words. */
export interface UscisStatusJson {
  titleEn: string;
  descriptionEn: string;
  titleEs: string;
  descriptionEs: string;
  formType: string;
  modifiedDateRaw: string;
  submittedDateRaw: string;
}

/**
 * EventJson is the JSON form of casewire.v1.Event in a delivery. Every field is present;
 * an absent message or timestamp is null. int64 fields are strings, as in all protobuf JSON.
 */
export interface EventJson {
  id: string;
  type: EnumJson<"EVENT_TYPE", typeof EventType>;
  receiptNumber: string;
  sequence: string;
  cursor: string;
  status: NormalizedStatusJson | null;
  uscis: UscisStatusJson | null;
  /** uscisTime is an RFC 3339 time. */
  uscisTime: string | null;
  /** observeTime is an RFC 3339 time. */
  observeTime: string | null;
  source: EnumJson<"EVENT_SOURCE", typeof EventSource>;
  matterId: string;
  matterExternalId: string;
  clientReference: string;
  labels: string[];
  previousStatus: NormalizedStatusJson | null;
  webhookEndpointId: string;
}

/** WebhookPayload is the JSON body of a delivery. */
export interface WebhookPayload {
  type: WebhookType;
  /** timestamp is when the event was observed, as an RFC 3339 time. */
  timestamp: string;
  data: EventJson;
}

/**
 * webhookEvent decodes a payload's data as a casewire.v1.Event message, ignoring fields
 * newer than this package.
 */
export function webhookEvent(payload: WebhookPayload): Event {
  return fromJson(EventSchema, payload.data as unknown as JsonValue, {
    ignoreUnknownFields: true,
  });
}
