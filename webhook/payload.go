package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
)

// Payload is the JSON body of every delivery. Data is a casewire.v1.Event in the same JSON
// form as the REST API's GET /v1/events/{id}; docs/webhooks.md describes its versioning.
type Payload struct {
	// Type names what happened, such as "case.status_changed"; see TypeOf.
	Type string `json:"type"`
	// Timestamp is when the event was observed.
	Timestamp time.Time `json:"timestamp"`
	// Data is the event.
	Data json.RawMessage `json:"data"`
}

// Delivery types. Receivers should ignore types they do not know.
const (
	TypeBaseline         = "case.baseline"
	TypeStatusChanged    = "case.status_changed"
	TypeStatusUpdated    = "case.status_updated"
	TypeHistory          = "case.history"
	TypeEndpointDisabled = "webhook_endpoint.disabled"
	TypeTest             = "webhook_endpoint.test"
)

// TypeOf returns the delivery type of an event type.
func TypeOf(t casewirev1.EventType) string {
	switch t {
	case casewirev1.EventType_EVENT_TYPE_BASELINE:
		return TypeBaseline
	case casewirev1.EventType_EVENT_TYPE_STATUS_CHANGED:
		return TypeStatusChanged
	case casewirev1.EventType_EVENT_TYPE_STATUS_UPDATED:
		return TypeStatusUpdated
	case casewirev1.EventType_EVENT_TYPE_HISTORY:
		return TypeHistory
	case casewirev1.EventType_EVENT_TYPE_ENDPOINT_DISABLED:
		return TypeEndpointDisabled
	case casewirev1.EventType_EVENT_TYPE_TEST:
		return TypeTest
	}
	return "casewire." + strings.ToLower(strings.TrimPrefix(t.String(), "EVENT_TYPE_"))
}

var eventJSON = protojson.MarshalOptions{EmitUnpopulated: true}

// Encode returns the body of a delivery of ev.
func Encode(ev *casewirev1.Event) ([]byte, error) {
	data, err := eventJSON.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("webhook: encode event: %w", err)
	}
	p := Payload{Type: TypeOf(ev.GetType()), Timestamp: ev.GetObserveTime().AsTime().UTC(), Data: data}
	return json.Marshal(p)
}

// Event decodes the payload's data as an event, ignoring fields newer than this package.
func (p *Payload) Event() (*casewirev1.Event, error) {
	ev := &casewirev1.Event{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(p.Data, ev); err != nil {
		return nil, fmt.Errorf("webhook: decode event: %w", err)
	}
	return ev, nil
}
