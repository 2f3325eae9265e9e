package server

import (
	"strings"

	"github.com/casewire/casewire/classify"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/timeline"
)

// Stored statuses use the lower-case names of the taxonomy; the API uses enums whose names
// are the same words in upper case behind a prefix.

// categoryToProto maps a taxonomy category name to its enum.
func categoryToProto(name string) casewirev1.Category {
	if name == "" {
		return casewirev1.Category_CATEGORY_UNSPECIFIED
	}
	return casewirev1.Category(casewirev1.Category_value["CATEGORY_"+strings.ToUpper(name)])
}

// categoryFromProto maps an enum to the taxonomy name, "" for unspecified.
func categoryFromProto(c casewirev1.Category) string {
	if c == casewirev1.Category_CATEGORY_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(c.String(), "CATEGORY_"))
}

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
