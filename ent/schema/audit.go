package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
)

// AuditEntry records one mutation. Entries are appended and never changed or deleted.
type AuditEntry struct{ ent.Schema }

// Mixin of the AuditEntry.
func (AuditEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: "aud"}, tenantMixin{}, createTimeMixin{}, callMixin{}}
}

// Fields of the AuditEntry.
func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.String("outcome").Immutable(),
	}
}

// callMixin describes one API call: who made it, what it did to which resource, from
// where, under which request id. Audit entries and intents share it.
type callMixin struct{ mixin.Schema }

// Fields of the callMixin.
func (callMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("api_key_id").Default("").Immutable(),
		field.String("action").Immutable(),
		field.String("resource").Default("").Immutable(),
		field.String("peer_address").Default("").Immutable(),
		field.String("request_id").Default("").Immutable(),
	}
}

// Indexes of the AuditEntry.
func (AuditEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "create_time")}
}

// Hooks of the AuditEntry: the log is append-only.
func (AuditEntry) Hooks() []ent.Hook {
	return []ent.Hook{appendOnly("audit entry")}
}

// AuditIntent is an audit entry written before its mutation runs, with no outcome yet. When
// the call ends the entry takes its place under the same id, in one transaction; an intent
// left by a process that stopped mid-call becomes an entry whose outcome is "unknown". So
// no change is made without a trace in the audit log, whatever stops the process.
type AuditIntent struct{ ent.Schema }

// Mixin of the AuditIntent: the fields of the entry it becomes, but the outcome.
func (AuditIntent) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: "aud"}, tenantMixin{}, createTimeMixin{}, callMixin{}}
}

// Indexes of the AuditIntent.
func (AuditIntent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "create_time")}
}
