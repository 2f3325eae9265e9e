package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Event is an immutable entry on a receipt's timeline and in the tenant's feed. It is
// written once, in the same transaction as its deliveries, and never updated.
type Event struct{ ent.Schema }

// Mixin of the Event.
func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: "evt"}, tenantMixin{}}
}

// Fields of the Event.
func (Event) Fields() []ent.Field {
	fields := []ent.Field{
		// feed_seq is the event's position in the tenant's feed, gapless and in commit order.
		field.Int64("feed_seq").Immutable(),
		field.String("type").Immutable(),
		field.String("receipt_number").Default("").Immutable(),
		// sequence is the event's position on its receipt's timeline, from 1.
		field.Int64("sequence").Default(0).Immutable(),
		field.Time("uscis_time").Optional().Nillable().Immutable(),
		field.String("uscis_date_raw").Default("").Immutable(),
		field.Time("observe_time").Immutable(),
		field.String("source").Immutable(),
		field.String("matter_id").Default("").Immutable(),
		field.String("matter_external_id").Default("").Immutable(),
		field.String("client_reference").Default("").Immutable(),
		field.Strings("labels").Optional().Immutable(),
		field.String("webhook_endpoint_id").Default("").Immutable(),
	}
	fields = append(fields, uscisFields()...)
	fields = append(fields, statusFields("")...)
	return append(fields, statusFields("previous_")...)
}

// Indexes of the Event.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "feed_seq").Unique(),
		index.Fields("tenant_id", "receipt_number", "sequence"),
		index.Fields("tenant_id", "observe_time"),
	}
}

// Hooks of the Event: events are never rewritten or removed through the client.
func (Event) Hooks() []ent.Hook {
	return []ent.Hook{appendOnly("event")}
}
