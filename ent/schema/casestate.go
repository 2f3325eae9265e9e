package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CaseState is what casewire knows of one receipt number, shared by every tenant that tracks
// it: the last USCIS answer, its normalised status and the polling schedule. A receipt
// tracked by several firms has one CaseState and is fetched once.
type CaseState struct{ ent.Schema }

// Mixin of the CaseState.
func (CaseState) Mixin() []ent.Mixin {
	return []ent.Mixin{timeMixin{}}
}

// Fields of the CaseState.
func (CaseState) Fields() []ent.Field {
	fields := []ent.Field{
		// id is the receipt number itself.
		field.String("id").Immutable().NotEmpty().MaxLen(32),
		// fingerprint identifies the last answer's title, description and dates, so an
		// unchanged answer is recognised without comparing texts.
		field.String("fingerprint").Default(""),
		field.Time("uscis_modify_time").Optional().Nillable(),
		// history_json is USCIS's history list of the last answer, as JSON.
		field.Text("history_json").Default(""),
		field.String("check_state").Default("pending"),
		field.String("check_error").Default(""),
		field.Int("consecutive_errors").Default(0),
		field.Time("last_check_time").Optional().Nillable(),
		field.Time("last_change_time").Optional().Nillable(),
		// next_check_time is when the scheduler next asks USCIS about the receipt.
		field.Time("next_check_time"),
		// refresh_requested marks a firm's explicit refresh, served before routine polling.
		field.Bool("refresh_requested").Default(false),
		// lease_until keeps other processes off a receipt while one fetches it.
		field.Time("lease_until").Optional().Nillable(),
		field.String("lease_owner").Default(""),
		// trackers counts the tenants tracking the receipt; 0 stops polling.
		field.Int("trackers").Default(0),
	}
	fields = append(fields, uscisFields()...)
	return append(fields, statusFields("")...)
}

// Indexes of the CaseState.
func (CaseState) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("trackers", "refresh_requested", "next_check_time"),
	}
}
