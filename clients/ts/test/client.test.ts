// Calls a real `casewire serve` over every protocol with the Node client.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  Category,
  Outcome,
  Scope,
  createCasewireClient,
  type CasewireClient,
  type TransportName,
} from "../src/index.js";
import { startServer, type RunningServer } from "./server.js";

const transports: TransportName[] = ["connect", "grpc", "grpc-web"];

describe("createCasewireClient against casewire serve", () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  for (const transport of transports) {
    describe(transport, () => {
      let c: CasewireClient;
      before(() => {
        c = createCasewireClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, transport });
      });
      after(() => c.close());

      test("classifies a status", async () => {
        const res = await c.classification.classifyStatus({ title: "Case Was Approved" });
        assert.equal(res.status?.category, Category.DECISION);
        assert.equal(res.status?.outcome, Outcome.APPROVED);
      });

      test("creates, reads and lists a matter", async () => {
        const externalId = `ext-${transport}`;
        const created = await c.matters.createMatter({
          matter: { name: `Garcia H-1B ${transport}`, externalId },
        });
        const id = created.matter?.id ?? "";
        assert.match(id, /.+/);
        const got = await c.matters.getMatter({ id });
        assert.equal(got.matter?.externalId, externalId);
        const list = await c.matters.listMatters({ externalId });
        assert.deepEqual(list.matters.map((m) => m.id), [id]);
      });

      test("creates a key that works and lists keys without secrets", async () => {
        const created = await c.apiKeys.createApiKey({
          apiKey: { name: `reader ${transport}`, scope: Scope.READ },
        });
        const key = created.apiKey?.key ?? "";
        assert.match(key, /.+/);
        const reader = createCasewireClient({ baseUrl: server.baseUrl, apiKey: key, transport });
        try {
          // Managing keys needs an admin key.
          await assert.rejects(reader.apiKeys.listApiKeys({}), (e: unknown) => {
            return ConnectError.from(e).code === Code.PermissionDenied;
          });
          const tenant = await reader.tenant.getTenant({});
          assert.equal(tenant.tenant?.name, "TS Test Firm");
        } finally {
          reader.close();
        }
        const all = await c.apiKeys.listApiKeys({});
        assert.ok(all.apiKeys.some((k) => k.id === created.apiKey?.id));
        assert.ok(all.apiKeys.every((k) => k.key === ""));
      });

      test("tracks a receipt and reads it and its timeline", async () => {
        const receiptNumber = `IOE09123456${transports.indexOf(transport)}0`;
        const tracked = await c.receipts.trackReceipt({ receiptNumber, labels: ["ts"] });
        assert.equal(tracked.created, true);
        assert.equal(tracked.receipt?.receiptNumber, receiptNumber);
        const got = await c.receipts.getReceipt({ receiptNumber });
        assert.deepEqual(got.receipt?.labels, ["ts"]);
        // No USCIS answer has arrived, so the timeline exists and is empty.
        const timeline = await c.events.listReceiptEvents({ receiptNumber });
        assert.deepEqual(timeline.events, []);
      });

      test("refuses a wrong key with Unauthenticated", async () => {
        const bad = createCasewireClient({
          baseUrl: server.baseUrl,
          apiKey: "cw_not-a-real-key-000000000",
          transport,
        });
        try {
          await assert.rejects(bad.tenant.getTenant({}), (e: unknown) => {
            return ConnectError.from(e).code === Code.Unauthenticated;
          });
        } finally {
          bad.close();
        }
      });
    });
  }

  test("runtime web (fetch) speaks connect and grpc-web, refuses grpc", async () => {
    for (const transport of ["connect", "grpc-web"] as const) {
      const c = createCasewireClient({
        baseUrl: server.baseUrl,
        apiKey: server.apiKey,
        transport,
        runtime: "web",
      });
      const res = await c.classification.classifyStatus({ title: "Case Was Approved" });
      assert.equal(res.status?.outcome, Outcome.APPROVED, transport);
    }
    assert.throws(() =>
      createCasewireClient({ baseUrl: server.baseUrl, apiKey: "k", transport: "grpc", runtime: "web" }),
    );
  });
});
