package deliver

import (
	"github.com/casewire/casewire/ent"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/timeline"
	"github.com/casewire/casewire/webhook"
)

// body renders the delivery body of a stored event.
func body(ev *ent.Event) ([]byte, error) { return webhook.Encode(EventToProto(ev)) }

// EventToProto converts a stored event to its API form, which is also a delivery's data.
func EventToProto(ev *ent.Event) *casewirev1.Event { return timeline.EventProto(ev) }
