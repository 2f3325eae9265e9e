package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WebhookEndpoint is a tenant's URL that receives signed events.
type WebhookEndpoint struct{ ent.Schema }

// Mixin of the WebhookEndpoint.
func (WebhookEndpoint) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: "whe"}, tenantMixin{}, timeMixin{}}
}

// Fields of the WebhookEndpoint.
func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.Text("url"),
		field.Text("description").Default(""),
		// filter_json is the endpoint's EventFilter as JSON.
		field.Text("filter_json").Default("{}"),
		field.Bool("enabled").Default(true),
		field.String("disabled_reason").Default(""),
		// secret is the signing secret, encrypted with the service's encryption key.
		field.Bytes("secret").Sensitive(),
		// previous_secret signs alongside the new one until previous_secret_expire_time.
		field.Bytes("previous_secret").Sensitive().Optional().Nillable(),
		field.Time("previous_secret_expire_time").Optional().Nillable(),
		field.Time("last_success_time").Optional().Nillable(),
		field.Time("failing_since_time").Optional().Nillable(),
		field.Time("delete_time").Optional().Nillable(),
	}
}

// Delivery is one event pushed to one endpoint over one or more attempts.
type Delivery struct{ ent.Schema }

// Mixin of the Delivery.
func (Delivery) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: "dlv"}, tenantMixin{}, timeMixin{}}
}

// Fields of the Delivery.
func (Delivery) Fields() []ent.Field {
	return []ent.Field{
		field.String("endpoint_id").Immutable(),
		field.String("event_id").Immutable(),
		field.String("event_type").Immutable(),
		field.String("receipt_number").Default("").Immutable(),
		// sequence is the event's position on its receipt's timeline; deliveries of one
		// receipt to one endpoint go out in (sequence, id) order.
		field.Int64("sequence").Default(0).Immutable(),
		// job_id is the job queue's id of the job that works this delivery, so that a
		// delivery finishing can wake the next one of the same receipt.
		field.Int64("job_id").Default(0),
		// state is pending, succeeded, failed, or paused (pending while the endpoint is
		// disabled; enabling it again resumes the delivery).
		field.String("state").Default("pending"),
		field.Int("attempt_count").Default(0),
		field.Time("last_attempt_time").Optional().Nillable(),
		field.Time("next_attempt_time").Optional().Nillable(),
		field.Int("last_status_code").Default(0),
		field.Text("last_error").Default(""),
	}
}

// Indexes of the Delivery.
func (Delivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("endpoint_id", "create_time"),
		index.Fields("endpoint_id", "receipt_number", "state"),
		index.Fields("endpoint_id", "state"),
		index.Fields("event_id"),
	}
}

// DeliveryAttempt is one HTTP request of a delivery, kept as a record.
type DeliveryAttempt struct{ ent.Schema }

// Mixin of the DeliveryAttempt.
func (DeliveryAttempt) Mixin() []ent.Mixin {
	return []ent.Mixin{idMixin{prefix: "att"}, tenantMixin{}}
}

// Fields of the DeliveryAttempt.
func (DeliveryAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.String("delivery_id").Immutable(),
		field.Int("number").Immutable(),
		field.Time("start_time").Immutable(),
		field.Int64("duration_ms").Immutable(),
		field.Int("status_code").Default(0).Immutable(),
		field.Text("response_body").Default("").Immutable(),
		field.Text("error").Default("").Immutable(),
	}
}

// Indexes of the DeliveryAttempt.
func (DeliveryAttempt) Indexes() []ent.Index {
	return []ent.Index{index.Fields("delivery_id", "number")}
}

// Hooks of the DeliveryAttempt: the attempt log is append-only.
func (DeliveryAttempt) Hooks() []ent.Hook {
	return []ent.Hook{appendOnly("delivery attempt")}
}
