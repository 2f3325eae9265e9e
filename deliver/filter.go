package deliver

import (
	"encoding/json"
	"slices"

	"github.com/casewire/casewire/ent"
)

// Event types as stored in ent.Event.Type (package detect writes them).
const (
	typeEndpointDisabled = "endpoint_disabled"
	typeTest             = "test"
)

// Filter chooses which events an endpoint receives; an empty list matches everything.
// It is stored as the endpoint's filter_json.
type Filter struct {
	// EventTypes are stored event types such as "status_changed".
	EventTypes []string `json:"event_types,omitempty"`
	// Categories are taxonomy names such as "decision".
	Categories         []string `json:"categories,omitempty"`
	ActionRequiredOnly bool     `json:"action_required_only,omitempty"`
	MatterIDs          []string `json:"matter_ids,omitempty"`
	// Labels match events of receipts carrying any of them.
	Labels []string `json:"labels,omitempty"`
}

// ParseFilter reads a stored filter; an unreadable one matches everything.
func ParseFilter(raw string) Filter {
	var f Filter
	_ = json.Unmarshal([]byte(raw), &f)
	return f
}

// JSON returns the stored form of f.
func (f Filter) JSON() string {
	b, _ := json.Marshal(f)
	return string(b)
}

// Match reports whether ev passes the filter. Events casewire itself emits, which have no
// status, are filtered by type only.
func (f Filter) Match(ev *ent.Event) bool {
	if len(f.EventTypes) > 0 && !slices.Contains(f.EventTypes, ev.Type) {
		return false
	}
	if ev.Type == typeEndpointDisabled || ev.Type == typeTest {
		return true
	}
	if len(f.Categories) > 0 && !slices.Contains(f.Categories, ev.Category) {
		return false
	}
	if f.ActionRequiredOnly && !ev.ActionRequired {
		return false
	}
	if len(f.MatterIDs) > 0 && !slices.Contains(f.MatterIDs, ev.MatterID) {
		return false
	}
	if len(f.Labels) > 0 && !slices.ContainsFunc(ev.Labels, func(l string) bool {
		return slices.Contains(f.Labels, l)
	}) {
		return false
	}
	return true
}
