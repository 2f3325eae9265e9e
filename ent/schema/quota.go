package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// QuotaWindow counts the USCIS requests spent in one daily quota window, shared by every
// process on the database, so the count survives restarts.
type QuotaWindow struct{ ent.Schema }

// Fields of the QuotaWindow.
func (QuotaWindow) Fields() []ent.Field {
	return []ent.Field{
		// id is the window's start as Unix seconds.
		field.Int64("id").Immutable(),
		field.Int("used").Default(0),
		// next_slot_time is when the next request may go out at the global pace.
		field.Time("next_slot_time").Optional().Nillable(),
	}
}
