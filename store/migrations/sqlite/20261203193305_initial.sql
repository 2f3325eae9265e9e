-- +goose Up
-- create "api_keys" table
CREATE TABLE `api_keys` (`id` text NOT NULL, `tenant_id` text NOT NULL, `create_time` datetime NOT NULL, `name` text NOT NULL DEFAULT (''), `scope` text NOT NULL, `prefix` text NOT NULL, `hash` blob NOT NULL, `last_use_time` datetime NULL, `expire_time` datetime NULL, `revoke_time` datetime NULL, PRIMARY KEY (`id`));
-- create index "api_keys_hash_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_hash_key` ON `api_keys` (`hash`);
-- create index "apikey_tenant_id" to table: "api_keys"
CREATE INDEX `apikey_tenant_id` ON `api_keys` (`tenant_id`);
-- create index "apikey_prefix" to table: "api_keys"
CREATE INDEX `apikey_prefix` ON `api_keys` (`prefix`);
-- create "audit_entries" table
CREATE TABLE `audit_entries` (`id` text NOT NULL, `tenant_id` text NOT NULL, `create_time` datetime NOT NULL, `api_key_id` text NOT NULL DEFAULT (''), `action` text NOT NULL, `resource` text NOT NULL DEFAULT (''), `peer_address` text NOT NULL DEFAULT (''), `request_id` text NOT NULL DEFAULT (''), `outcome` text NOT NULL, PRIMARY KEY (`id`));
-- create index "auditentry_tenant_id" to table: "audit_entries"
CREATE INDEX `auditentry_tenant_id` ON `audit_entries` (`tenant_id`);
-- create index "auditentry_tenant_id_create_time" to table: "audit_entries"
CREATE INDEX `auditentry_tenant_id_create_time` ON `audit_entries` (`tenant_id`, `create_time`);
-- create "case_states" table
CREATE TABLE `case_states` (`id` text NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `fingerprint` text NOT NULL DEFAULT (''), `uscis_modify_time` datetime NULL, `history_json` text NOT NULL DEFAULT (''), `check_state` text NOT NULL DEFAULT ('pending'), `check_error` text NOT NULL DEFAULT (''), `consecutive_errors` integer NOT NULL DEFAULT (0), `last_check_time` datetime NULL, `last_change_time` datetime NULL, `next_check_time` datetime NOT NULL, `refresh_requested` bool NOT NULL DEFAULT (false), `lease_until` datetime NULL, `lease_owner` text NOT NULL DEFAULT (''), `trackers` integer NOT NULL DEFAULT (0), `title_en` text NOT NULL DEFAULT (''), `description_en` text NOT NULL DEFAULT (''), `title_es` text NOT NULL DEFAULT (''), `description_es` text NOT NULL DEFAULT (''), `form_type` text NOT NULL DEFAULT (''), `modified_date_raw` text NOT NULL DEFAULT (''), `submitted_date_raw` text NOT NULL DEFAULT (''), `category` text NOT NULL DEFAULT (''), `outcome` text NOT NULL DEFAULT (''), `action_required` bool NOT NULL DEFAULT (false), `match` text NOT NULL DEFAULT (''), `canonical_title` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "casestate_trackers_refresh_requested_next_check_time" to table: "case_states"
CREATE INDEX `casestate_trackers_refresh_requested_next_check_time` ON `case_states` (`trackers`, `refresh_requested`, `next_check_time`);
-- create "deliveries" table
CREATE TABLE `deliveries` (`id` text NOT NULL, `tenant_id` text NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `endpoint_id` text NOT NULL, `event_id` text NOT NULL, `event_type` text NOT NULL, `receipt_number` text NOT NULL DEFAULT (''), `sequence` integer NOT NULL DEFAULT (0), `job_id` integer NOT NULL DEFAULT (0), `state` text NOT NULL DEFAULT ('pending'), `attempt_count` integer NOT NULL DEFAULT (0), `last_attempt_time` datetime NULL, `next_attempt_time` datetime NULL, `last_status_code` integer NOT NULL DEFAULT (0), `last_error` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "delivery_tenant_id" to table: "deliveries"
CREATE INDEX `delivery_tenant_id` ON `deliveries` (`tenant_id`);
-- create index "delivery_endpoint_id_create_time" to table: "deliveries"
CREATE INDEX `delivery_endpoint_id_create_time` ON `deliveries` (`endpoint_id`, `create_time`);
-- create index "delivery_endpoint_id_receipt_number_state" to table: "deliveries"
CREATE INDEX `delivery_endpoint_id_receipt_number_state` ON `deliveries` (`endpoint_id`, `receipt_number`, `state`);
-- create index "delivery_endpoint_id_state" to table: "deliveries"
CREATE INDEX `delivery_endpoint_id_state` ON `deliveries` (`endpoint_id`, `state`);
-- create index "delivery_event_id" to table: "deliveries"
CREATE INDEX `delivery_event_id` ON `deliveries` (`event_id`);
-- create "delivery_attempts" table
CREATE TABLE `delivery_attempts` (`id` text NOT NULL, `tenant_id` text NOT NULL, `delivery_id` text NOT NULL, `number` integer NOT NULL, `start_time` datetime NOT NULL, `duration_ms` integer NOT NULL, `status_code` integer NOT NULL DEFAULT (0), `response_body` text NOT NULL DEFAULT (''), `error` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "deliveryattempt_tenant_id" to table: "delivery_attempts"
CREATE INDEX `deliveryattempt_tenant_id` ON `delivery_attempts` (`tenant_id`);
-- create index "deliveryattempt_delivery_id_number" to table: "delivery_attempts"
CREATE INDEX `deliveryattempt_delivery_id_number` ON `delivery_attempts` (`delivery_id`, `number`);
-- create "events" table
CREATE TABLE `events` (`id` text NOT NULL, `tenant_id` text NOT NULL, `feed_seq` integer NOT NULL, `type` text NOT NULL, `receipt_number` text NOT NULL DEFAULT (''), `sequence` integer NOT NULL DEFAULT (0), `uscis_time` datetime NULL, `uscis_date_raw` text NOT NULL DEFAULT (''), `observe_time` datetime NOT NULL, `source` text NOT NULL, `matter_id` text NOT NULL DEFAULT (''), `matter_external_id` text NOT NULL DEFAULT (''), `client_reference` text NOT NULL DEFAULT (''), `labels` json NULL, `webhook_endpoint_id` text NOT NULL DEFAULT (''), `title_en` text NOT NULL DEFAULT (''), `description_en` text NOT NULL DEFAULT (''), `title_es` text NOT NULL DEFAULT (''), `description_es` text NOT NULL DEFAULT (''), `form_type` text NOT NULL DEFAULT (''), `modified_date_raw` text NOT NULL DEFAULT (''), `submitted_date_raw` text NOT NULL DEFAULT (''), `category` text NOT NULL DEFAULT (''), `outcome` text NOT NULL DEFAULT (''), `action_required` bool NOT NULL DEFAULT (false), `match` text NOT NULL DEFAULT (''), `canonical_title` text NOT NULL DEFAULT (''), `previous_category` text NOT NULL DEFAULT (''), `previous_outcome` text NOT NULL DEFAULT (''), `previous_action_required` bool NOT NULL DEFAULT (false), `previous_match` text NOT NULL DEFAULT (''), `previous_canonical_title` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "event_tenant_id" to table: "events"
CREATE INDEX `event_tenant_id` ON `events` (`tenant_id`);
-- create index "event_tenant_id_feed_seq" to table: "events"
CREATE UNIQUE INDEX `event_tenant_id_feed_seq` ON `events` (`tenant_id`, `feed_seq`);
-- create index "event_tenant_id_receipt_number_sequence" to table: "events"
CREATE INDEX `event_tenant_id_receipt_number_sequence` ON `events` (`tenant_id`, `receipt_number`, `sequence`);
-- create index "event_tenant_id_observe_time" to table: "events"
CREATE INDEX `event_tenant_id_observe_time` ON `events` (`tenant_id`, `observe_time`);
-- create "matters" table
CREATE TABLE `matters` (`id` text NOT NULL, `tenant_id` text NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `name` text NOT NULL, `external_id` text NOT NULL DEFAULT (''), `description` text NOT NULL DEFAULT (''), PRIMARY KEY (`id`));
-- create index "matter_tenant_id" to table: "matters"
CREATE INDEX `matter_tenant_id` ON `matters` (`tenant_id`);
-- create index "matter_tenant_id_external_id" to table: "matters"
CREATE INDEX `matter_tenant_id_external_id` ON `matters` (`tenant_id`, `external_id`);
-- create "quota_windows" table
CREATE TABLE `quota_windows` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `used` integer NOT NULL DEFAULT (0), `next_slot_time` datetime NULL);
-- create "tenants" table
CREATE TABLE `tenants` (`id` text NOT NULL, `create_time` datetime NOT NULL, `name` text NOT NULL, `event_seq` integer NOT NULL DEFAULT (0), PRIMARY KEY (`id`));
-- create "tracked_receipts" table
CREATE TABLE `tracked_receipts` (`id` text NOT NULL, `tenant_id` text NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `receipt_number` text NOT NULL, `matter_id` text NOT NULL DEFAULT (''), `labels` json NULL, `client_reference` text NOT NULL DEFAULT (''), `warnings` json NULL, `event_seq` integer NOT NULL DEFAULT (0), `untrack_time` datetime NULL, PRIMARY KEY (`id`));
-- create index "trackedreceipt_tenant_id" to table: "tracked_receipts"
CREATE INDEX `trackedreceipt_tenant_id` ON `tracked_receipts` (`tenant_id`);
-- create index "trackedreceipt_tenant_id_receipt_number" to table: "tracked_receipts"
CREATE UNIQUE INDEX `trackedreceipt_tenant_id_receipt_number` ON `tracked_receipts` (`tenant_id`, `receipt_number`);
-- create index "trackedreceipt_receipt_number" to table: "tracked_receipts"
CREATE INDEX `trackedreceipt_receipt_number` ON `tracked_receipts` (`receipt_number`);
-- create index "trackedreceipt_tenant_id_id" to table: "tracked_receipts"
CREATE INDEX `trackedreceipt_tenant_id_id` ON `tracked_receipts` (`tenant_id`, `id`);
-- create index "trackedreceipt_tenant_id_matter_id_id" to table: "tracked_receipts"
CREATE INDEX `trackedreceipt_tenant_id_matter_id_id` ON `tracked_receipts` (`tenant_id`, `matter_id`, `id`);
-- create "webhook_endpoints" table
CREATE TABLE `webhook_endpoints` (`id` text NOT NULL, `tenant_id` text NOT NULL, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `url` text NOT NULL, `description` text NOT NULL DEFAULT (''), `filter_json` text NOT NULL DEFAULT ('{}'), `enabled` bool NOT NULL DEFAULT (true), `disabled_reason` text NOT NULL DEFAULT (''), `secret` blob NOT NULL, `previous_secret` blob NULL, `previous_secret_expire_time` datetime NULL, `last_success_time` datetime NULL, `failing_since_time` datetime NULL, `delete_time` datetime NULL, PRIMARY KEY (`id`));
-- create index "webhookendpoint_tenant_id" to table: "webhook_endpoints"
CREATE INDEX `webhookendpoint_tenant_id` ON `webhook_endpoints` (`tenant_id`);

-- +goose Down
-- reverse: create index "webhookendpoint_tenant_id" to table: "webhook_endpoints"
DROP INDEX `webhookendpoint_tenant_id`;
-- reverse: create "webhook_endpoints" table
DROP TABLE `webhook_endpoints`;
-- reverse: create index "trackedreceipt_tenant_id_matter_id_id" to table: "tracked_receipts"
DROP INDEX `trackedreceipt_tenant_id_matter_id_id`;
-- reverse: create index "trackedreceipt_tenant_id_id" to table: "tracked_receipts"
DROP INDEX `trackedreceipt_tenant_id_id`;
-- reverse: create index "trackedreceipt_receipt_number" to table: "tracked_receipts"
DROP INDEX `trackedreceipt_receipt_number`;
-- reverse: create index "trackedreceipt_tenant_id_receipt_number" to table: "tracked_receipts"
DROP INDEX `trackedreceipt_tenant_id_receipt_number`;
-- reverse: create index "trackedreceipt_tenant_id" to table: "tracked_receipts"
DROP INDEX `trackedreceipt_tenant_id`;
-- reverse: create "tracked_receipts" table
DROP TABLE `tracked_receipts`;
-- reverse: create "tenants" table
DROP TABLE `tenants`;
-- reverse: create "quota_windows" table
DROP TABLE `quota_windows`;
-- reverse: create index "matter_tenant_id_external_id" to table: "matters"
DROP INDEX `matter_tenant_id_external_id`;
-- reverse: create index "matter_tenant_id" to table: "matters"
DROP INDEX `matter_tenant_id`;
-- reverse: create "matters" table
DROP TABLE `matters`;
-- reverse: create index "event_tenant_id_observe_time" to table: "events"
DROP INDEX `event_tenant_id_observe_time`;
-- reverse: create index "event_tenant_id_receipt_number_sequence" to table: "events"
DROP INDEX `event_tenant_id_receipt_number_sequence`;
-- reverse: create index "event_tenant_id_feed_seq" to table: "events"
DROP INDEX `event_tenant_id_feed_seq`;
-- reverse: create index "event_tenant_id" to table: "events"
DROP INDEX `event_tenant_id`;
-- reverse: create "events" table
DROP TABLE `events`;
-- reverse: create index "deliveryattempt_delivery_id_number" to table: "delivery_attempts"
DROP INDEX `deliveryattempt_delivery_id_number`;
-- reverse: create index "deliveryattempt_tenant_id" to table: "delivery_attempts"
DROP INDEX `deliveryattempt_tenant_id`;
-- reverse: create "delivery_attempts" table
DROP TABLE `delivery_attempts`;
-- reverse: create index "delivery_event_id" to table: "deliveries"
DROP INDEX `delivery_event_id`;
-- reverse: create index "delivery_endpoint_id_state" to table: "deliveries"
DROP INDEX `delivery_endpoint_id_state`;
-- reverse: create index "delivery_endpoint_id_receipt_number_state" to table: "deliveries"
DROP INDEX `delivery_endpoint_id_receipt_number_state`;
-- reverse: create index "delivery_endpoint_id_create_time" to table: "deliveries"
DROP INDEX `delivery_endpoint_id_create_time`;
-- reverse: create index "delivery_tenant_id" to table: "deliveries"
DROP INDEX `delivery_tenant_id`;
-- reverse: create "deliveries" table
DROP TABLE `deliveries`;
-- reverse: create index "casestate_trackers_refresh_requested_next_check_time" to table: "case_states"
DROP INDEX `casestate_trackers_refresh_requested_next_check_time`;
-- reverse: create "case_states" table
DROP TABLE `case_states`;
-- reverse: create index "auditentry_tenant_id_create_time" to table: "audit_entries"
DROP INDEX `auditentry_tenant_id_create_time`;
-- reverse: create index "auditentry_tenant_id" to table: "audit_entries"
DROP INDEX `auditentry_tenant_id`;
-- reverse: create "audit_entries" table
DROP TABLE `audit_entries`;
-- reverse: create index "apikey_prefix" to table: "api_keys"
DROP INDEX `apikey_prefix`;
-- reverse: create index "apikey_tenant_id" to table: "api_keys"
DROP INDEX `apikey_tenant_id`;
-- reverse: create index "api_keys_hash_key" to table: "api_keys"
DROP INDEX `api_keys_hash_key`;
-- reverse: create "api_keys" table
DROP TABLE `api_keys`;
