// The Node entry point of @casewire/client: typed clients of every casewire.v1 service
// over Connect, gRPC or gRPC-Web (connect-node, or connect-web when runtime is "web"),
// typed webhook payloads, and webhook verification with node:crypto.
import type { Transport } from "@connectrpc/connect";
import {
  Http2SessionManager,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import {
  clientsOf,
  interceptorsOf,
  webTransport,
  type CasewireClient,
  type CasewireClientOptions,
} from "./client.js";

export * from "./client.js";
export * from "./payload.js";
export * from "./webhook.js";
export * from "./gen/casewire/v1/account_pb.js";
export * from "./gen/casewire/v1/classification_pb.js";
export * from "./gen/casewire/v1/event_pb.js";
export * from "./gen/casewire/v1/matter_pb.js";
export * from "./gen/casewire/v1/receipt_pb.js";
export * from "./gen/casewire/v1/status_pb.js";
export * from "./gen/casewire/v1/webhook_pb.js";

/**
 * createCasewireClient returns a client of every casewire service. In Node it uses
 * connect-node: gRPC over HTTP/2 (cleartext for http:// URLs), Connect and gRPC-Web over
 * HTTP/1.1 unless httpVersion is "2". With runtime "web" it uses fetch, as in a browser.
 * Call close() when done so that HTTP/2 sessions do not keep the process alive.
 */
export function createCasewireClient(opts: CasewireClientOptions): CasewireClient {
  if (opts.runtime === "web") {
    return clientsOf(webTransport(opts));
  }
  const transport = opts.transport ?? "connect";
  const http2 = transport === "grpc" || opts.httpVersion === "2";
  if (!http2) {
    return clientsOf(nodeTransport(opts, { httpVersion: "1.1" }));
  }
  const sessionManager = new Http2SessionManager(opts.baseUrl);
  const t = nodeTransport(opts, { httpVersion: "2", sessionManager });
  return clientsOf(t, () => sessionManager.abort());
}

type NodeHTTP =
  | { httpVersion: "1.1" }
  | { httpVersion: "2"; sessionManager: Http2SessionManager };

function nodeTransport(opts: CasewireClientOptions, http: NodeHTTP): Transport {
  const common = {
    baseUrl: opts.baseUrl,
    interceptors: interceptorsOf(opts),
    defaultTimeoutMs: opts.timeoutMs,
  };
  switch (opts.transport ?? "connect") {
    case "connect":
      return createConnectTransport({ ...common, ...http });
    case "grpc-web":
      return createGrpcWebTransport({ ...common, ...http });
    case "grpc":
      if (http.httpVersion !== "2") {
        throw new Error("casewire: gRPC needs HTTP/2");
      }
      return createGrpcTransport({ ...common, sessionManager: http.sessionManager });
  }
}
