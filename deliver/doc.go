// Package deliver pushes a tenant's events to its webhook endpoints. It sits at the end of
// the flow: package detect writes events and, in the same transaction, calls the Outbox,
// which records one Delivery per matching endpoint and inserts its job into the job queue
// (River, on SQLite or PostgreSQL). Workers sign each delivery (package webhook), POST it
// through a dialer that refuses private and metadata addresses, record every attempt, and
// retry on a fixed schedule; endpoints that keep failing are disabled, which is itself an
// event. The Service also answers the webhook API's commands: create, update, rotate,
// delete, test, redeliver and replay.
package deliver
