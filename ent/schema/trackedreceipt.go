package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// TrackedReceipt is one tenant's interest in one receipt number, with the tenant's own
// references. The case itself lives in CaseState.
type TrackedReceipt struct{ ent.Schema }

// Mixin of the TrackedReceipt.
func (TrackedReceipt) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: "trk"}, tenantMixin{}, timeMixin{}}
}

// Fields of the TrackedReceipt.
func (TrackedReceipt) Fields() []ent.Field {
	return []ent.Field{
		field.String("receipt_number").Immutable().NotEmpty().MaxLen(32),
		field.String("matter_id").Default(""),
		field.Strings("labels").Optional(),
		field.String("client_reference").Default(""),
		field.Strings("warnings").Optional(),
		// event_seq is the sequence number of the newest event on this receipt's timeline.
		field.Int64("event_seq").Default(0),
		// untrack_time is set while the tenant does not track the receipt. The row stays so
		// that the timeline keeps its sequence if the receipt is tracked again.
		field.Time("untrack_time").Optional().Nillable(),
	}
}

// Indexes of the TrackedReceipt.
func (TrackedReceipt) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "receipt_number").Unique(),
		index.Fields("receipt_number"),
		// A page of a tenant's receipts walks (tenant_id, id) in order; filtered by matter,
		// (tenant_id, matter_id, id).
		index.Fields("tenant_id", "id"),
		index.Fields("tenant_id", "matter_id", "id"),
	}
}
