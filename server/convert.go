package server

import (
	"github.com/casewire/casewire/classify"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/timeline"
)

// statusToProto builds the API's normalised status from stored columns; nil when there is
// no status yet.
func statusToProto(category, outcome string, action bool, match, canonical, formType string) *casewirev1.NormalizedStatus {
	return timeline.Status(category, outcome, action, match, canonical, formType)
}

// resultToProto converts a classifier result.
func resultToProto(r classify.Result) *casewirev1.NormalizedStatus {
	return statusToProto(string(r.Category), string(r.Outcome), r.ActionRequired, string(r.Match),
		r.CanonicalTitle, r.FormType)
}
