// The runtime-neutral half of the client: the option and client types, the API-key
// interceptor, and the browser transports. Nothing here imports a Node module, so the
// browser entry point (browser.ts) can share it.
import type { Client, Interceptor, Transport } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import {
  createConnectTransport as createWebConnectTransport,
  createGrpcWebTransport as createWebGrpcWebTransport,
} from "@connectrpc/connect-web";
import { ApiKeyService, AuditService, TenantService } from "./gen/casewire/v1/account_pb.js";
import {
  ClassificationService,
  UpstreamService,
} from "./gen/casewire/v1/classification_pb.js";
import { EventService } from "./gen/casewire/v1/event_pb.js";
import { MatterService } from "./gen/casewire/v1/matter_pb.js";
import { ReceiptService } from "./gen/casewire/v1/receipt_pb.js";
import { WebhookService } from "./gen/casewire/v1/webhook_pb.js";

/** TransportName is the RPC protocol a client speaks; the server answers all three. */
export type TransportName = "connect" | "grpc" | "grpc-web";

/** Runtime is where the client runs: Node (connect-node) or a browser (connect-web). */
export type Runtime = "node" | "web";

/** CasewireClientOptions configures createCasewireClient. */
export interface CasewireClientOptions {
  /** baseUrl is the server's address, such as "http://127.0.0.1:8080". */
  baseUrl: string;
  /** apiKey is sent as a bearer token on every call. */
  apiKey: string;
  /** transport is the protocol; the default is "connect". Browsers cannot speak "grpc". */
  transport?: TransportName;
  /** runtime defaults to "node" from the package's Node entry and "web" from the browser's. */
  runtime?: Runtime;
  /** timeoutMs bounds every call that sets no timeout of its own. */
  timeoutMs?: number;
  /**
   * httpVersion is the HTTP version of Connect and gRPC-Web calls from Node; the default
   * is "1.1". gRPC always uses HTTP/2 (cleartext for http:// URLs).
   */
  httpVersion?: "1.1" | "2";
  /** interceptors run after the one that adds the API key. */
  interceptors?: Interceptor[];
}

/** CasewireClient holds a typed client of every casewire.v1 service. */
export interface CasewireClient {
  receipts: Client<typeof ReceiptService>;
  matters: Client<typeof MatterService>;
  events: Client<typeof EventService>;
  webhooks: Client<typeof WebhookService>;
  classification: Client<typeof ClassificationService>;
  upstream: Client<typeof UpstreamService>;
  apiKeys: Client<typeof ApiKeyService>;
  audit: Client<typeof AuditService>;
  tenant: Client<typeof TenantService>;
  /** transport is the transport every service client shares. */
  transport: Transport;
  /** close ends the client's HTTP/2 sessions so that a Node process can exit. */
  close(): void;
}

/** authInterceptor adds the API key as a bearer token to every request. */
export function authInterceptor(apiKey: string): Interceptor {
  return (next) => (req) => {
    req.header.set("Authorization", `Bearer ${apiKey}`);
    return next(req);
  };
}

/** interceptorsOf returns the interceptors of every call: the key first. */
export function interceptorsOf(opts: CasewireClientOptions): Interceptor[] {
  return [authInterceptor(opts.apiKey), ...(opts.interceptors ?? [])];
}

/** clientsOf makes a client of every service over one transport. */
export function clientsOf(transport: Transport, close: () => void = () => {}): CasewireClient {
  return {
    receipts: createClient(ReceiptService, transport),
    matters: createClient(MatterService, transport),
    events: createClient(EventService, transport),
    webhooks: createClient(WebhookService, transport),
    classification: createClient(ClassificationService, transport),
    upstream: createClient(UpstreamService, transport),
    apiKeys: createClient(ApiKeyService, transport),
    audit: createClient(AuditService, transport),
    tenant: createClient(TenantService, transport),
    transport,
    close,
  };
}

/** webTransport returns a fetch-based transport, as browsers need. */
export function webTransport(opts: CasewireClientOptions): Transport {
  const common = {
    baseUrl: opts.baseUrl,
    interceptors: interceptorsOf(opts),
    defaultTimeoutMs: opts.timeoutMs,
  };
  switch (opts.transport ?? "connect") {
    case "connect":
      return createWebConnectTransport(common);
    case "grpc-web":
      return createWebGrpcWebTransport(common);
    default:
      throw new Error('casewire: a browser cannot speak gRPC; use "connect" or "grpc-web"');
  }
}
