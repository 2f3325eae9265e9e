package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APIKey is a credential of one tenant, stored as a hash only.
type APIKey struct{ ent.Schema }

// Mixin of the APIKey.
func (APIKey) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: "key"}, tenantMixin{}, createTimeMixin{}}
}

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Default(""),
		field.String("scope"),
		// prefix is the key's visible start, shown for recognition.
		field.String("prefix"),
		// hash is the SHA-256 of the whole key.
		field.Bytes("hash").Sensitive().Unique(),
		field.Time("last_use_time").Optional().Nillable(),
		field.Time("expire_time").Optional().Nillable(),
		field.Time("revoke_time").Optional().Nillable(),
	}
}

// Indexes of the APIKey.
func (APIKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("prefix")}
}
