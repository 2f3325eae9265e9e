-- +goose Up
-- create "audit_intents" table
CREATE TABLE `audit_intents` (`id` text NOT NULL, `tenant_id` text NOT NULL, `create_time` datetime NOT NULL, `api_key_id` text NOT NULL DEFAULT (''), `action` text NOT NULL, `resource` text NOT NULL DEFAULT (''), `peer_address` text NOT NULL DEFAULT (''), `request_id` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "auditintent_tenant_id" to table: "audit_intents"
CREATE INDEX `auditintent_tenant_id` ON `audit_intents` (`tenant_id`);
-- create index "auditintent_tenant_id_create_time" to table: "audit_intents"
CREATE INDEX `auditintent_tenant_id_create_time` ON `audit_intents` (`tenant_id`, `create_time`);

-- +goose Down
-- reverse: create index "auditintent_tenant_id_create_time" to table: "audit_intents"
DROP INDEX `auditintent_tenant_id_create_time`;
-- reverse: create index "auditintent_tenant_id" to table: "audit_intents"
DROP INDEX `auditintent_tenant_id`;
-- reverse: create "audit_intents" table
DROP TABLE `audit_intents`;
