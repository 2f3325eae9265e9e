// The browser entry point of @casewire/client: the same typed clients over fetch
// (connect-web) and the typed webhook payloads, without anything that needs Node.
// Webhook verification needs the secret, so it belongs on a server: use the Node entry.
import { clientsOf, webTransport, type CasewireClient, type CasewireClientOptions } from "./client.js";

export * from "./client.js";
export * from "./payload.js";
export * from "./gen/casewire/v1/account_pb.js";
export * from "./gen/casewire/v1/classification_pb.js";
export * from "./gen/casewire/v1/event_pb.js";
export * from "./gen/casewire/v1/matter_pb.js";
export * from "./gen/casewire/v1/receipt_pb.js";
export * from "./gen/casewire/v1/status_pb.js";
export * from "./gen/casewire/v1/webhook_pb.js";

/**
 * createCasewireClient returns a client of every casewire service over fetch, speaking
 * Connect (the default) or gRPC-Web. A browser cannot speak gRPC.
 */
export function createCasewireClient(opts: CasewireClientOptions): CasewireClient {
  if (opts.runtime === "node") {
    throw new Error('casewire: runtime "node" needs the package\'s Node entry point');
  }
  return clientsOf(webTransport(opts));
}
