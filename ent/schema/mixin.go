// Package schema defines casewire's storage: one file per entity. Every entity a firm owns
// carries the tenant mixin, so each query can and must be scoped to one tenant.
package schema

import (
	"strings"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
	"github.com/oklog/ulid/v2"
)

// NewID returns a new sortable id with a type prefix, such as "evt_01J...".
func NewID(prefix string) string {
	return prefix + "_" + strings.ToLower(ulid.Make().String())
}

// idMixin gives an entity a prefixed string id made at creation.
type idMixin struct {
	mixin.Schema
	prefix string
}

// Fields of the idMixin.
func (m idMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").
			Immutable().
			NotEmpty().
			DefaultFunc(func() string { return NewID(m.prefix) }),
	}
}

// tenantMixin marks an entity as owned by one tenant.
type tenantMixin struct{ mixin.Schema }

// Fields of the tenantMixin.
func (tenantMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("tenant_id").Immutable().NotEmpty(),
	}
}

// Indexes of the tenantMixin.
func (tenantMixin) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id")}
}

// createTimeMixin records when a row was made.
type createTimeMixin struct{ mixin.Schema }

// Fields of the createTimeMixin.
func (createTimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("create_time").Immutable().Default(now),
	}
}

// timeMixin records when a row was made and last changed.
type timeMixin struct{ mixin.Schema }

// Fields of the timeMixin.
func (timeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("create_time").Immutable().Default(now),
		field.Time("update_time").Default(now).UpdateDefault(now),
	}
}

func now() time.Time { return time.Now().UTC() }

// statusFields are the normalised status columns shared by case states and events.
func statusFields(prefix string) []ent.Field {
	return []ent.Field{
		field.String(prefix + "category").Default(""),
		field.String(prefix + "outcome").Default(""),
		field.Bool(prefix + "action_required").Default(false),
		field.String(prefix + "match").Default(""),
		field.String(prefix + "canonical_title").Default(""),
	}
}

// uscisFields are the raw USCIS status columns shared by case states and events.
func uscisFields() []ent.Field {
	return []ent.Field{
		field.Text("title_en").Default(""),
		field.Text("description_en").Default(""),
		field.Text("title_es").Default(""),
		field.Text("description_es").Default(""),
		field.String("form_type").Default(""),
		field.String("modified_date_raw").Default(""),
		field.String("submitted_date_raw").Default(""),
	}
}
