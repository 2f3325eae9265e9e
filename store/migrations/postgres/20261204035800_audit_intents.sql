-- +goose Up
-- create "audit_intents" table
CREATE TABLE "audit_intents" ("id" character varying NOT NULL, "tenant_id" character varying NOT NULL, "create_time" timestamptz NOT NULL, "api_key_id" character varying NOT NULL DEFAULT '', "action" character varying NOT NULL, "resource" character varying NOT NULL DEFAULT '', "peer_address" character varying NOT NULL DEFAULT '', "request_id" character varying NOT NULL DEFAULT '', PRIMARY KEY ("id"));
-- create index "auditintent_tenant_id" to table: "audit_intents"
CREATE INDEX "auditintent_tenant_id" ON "audit_intents" ("tenant_id");
-- create index "auditintent_tenant_id_create_time" to table: "audit_intents"
CREATE INDEX "auditintent_tenant_id_create_time" ON "audit_intents" ("tenant_id", "create_time");

-- +goose Down
-- reverse: create index "auditintent_tenant_id_create_time" to table: "audit_intents"
DROP INDEX "auditintent_tenant_id_create_time";
-- reverse: create index "auditintent_tenant_id" to table: "audit_intents"
DROP INDEX "auditintent_tenant_id";
-- reverse: create "audit_intents" table
DROP TABLE "audit_intents";
