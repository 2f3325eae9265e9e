package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Matter is a firm's own case or client file, which receipts and events point back to.
type Matter struct{ ent.Schema }

// Mixin of the Matter.
func (Matter) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: "mat"}, tenantMixin{}, timeMixin{}}
}

// Fields of the Matter.
func (Matter) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty(),
		field.String("external_id").Default(""),
		field.Text("description").Default(""),
	}
}

// Indexes of the Matter.
func (Matter) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "external_id")}
}
