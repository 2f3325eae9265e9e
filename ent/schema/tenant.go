package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// Tenant is a law firm. Every other firm-owned row names its tenant.
type Tenant struct{ ent.Schema }

// Mixin of the Tenant.
func (Tenant) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: "ten"}, createTimeMixin{}}
}

// Fields of the Tenant.
func (Tenant) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty(),
		// event_seq is the position of the tenant's newest event in its feed. Writers lock the
		// row to take the next one, so the feed's order is the order of commits.
		field.Int64("event_seq").Default(0),
	}
}
