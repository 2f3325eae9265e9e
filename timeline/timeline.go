// Package timeline gives stored events their one public form: the API's Event message, with
// its feed cursor. The event feed, the timeline, the watch stream and webhook deliveries
// all use it, so a receiver sees the same event whichever way it arrives.
package timeline

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casewire/casewire/ent"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
)

// cursorPrefix versions the cursor's encoding.
const cursorPrefix = "f1:"

// ErrCursor means a cursor did not come from casewire.
var ErrCursor = errors.New("timeline: not a cursor from an earlier answer")

// EncodeCursor makes the opaque cursor of a feed position.
func EncodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(seq, 10)))
}

// DecodeCursor reads a cursor; empty means the start of the feed.
func DecodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	s, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if err != nil || !ok {
		return 0, ErrCursor
	}
	seq, err := strconv.ParseInt(s, 10, 64)
	if err != nil || seq < 0 {
		return 0, ErrCursor
	}
	return seq, nil
}

// EventProto converts a stored event to its public form.
func EventProto(r *ent.Event) *casewirev1.Event {
	out := &casewirev1.Event{
		Id:                r.ID,
		Type:              EventType(r.Type),
		ReceiptNumber:     r.ReceiptNumber,
		Sequence:          r.Sequence,
		Cursor:            EncodeCursor(r.FeedSeq),
		Status:            Status(r.Category, r.Outcome, r.ActionRequired, r.Match, r.CanonicalTitle, r.FormType),
		UscisTime:         timestampOrNil(r.UscisTime),
		ObserveTime:       timestamppb.New(r.ObserveTime),
		Source:            casewirev1.EventSource(enumValue(casewirev1.EventSource_value, "EVENT_SOURCE_", r.Source)),
		MatterId:          r.MatterID,
		MatterExternalId:  r.MatterExternalID,
		ClientReference:   r.ClientReference,
		Labels:            r.Labels,
		PreviousStatus:    Status(r.PreviousCategory, r.PreviousOutcome, r.PreviousActionRequired, r.PreviousMatch, r.PreviousCanonicalTitle, ""),
		WebhookEndpointId: r.WebhookEndpointID,
	}
	if r.TitleEn != "" || r.DescriptionEn != "" {
		out.Uscis = &casewirev1.UscisStatus{
			TitleEn: r.TitleEn, DescriptionEn: r.DescriptionEn, TitleEs: r.TitleEs,
			DescriptionEs: r.DescriptionEs, FormType: r.FormType,
			ModifiedDateRaw: r.ModifiedDateRaw, SubmittedDateRaw: r.SubmittedDateRaw,
		}
	}
	return out
}

// Status builds the API's normalised status from the taxonomy's lower-case names; nil when
// there is no status yet.
func Status(category, outcome string, action bool, match, canonical, formType string) *casewirev1.NormalizedStatus {
	if category == "" {
		return nil
	}
	return &casewirev1.NormalizedStatus{
		Category:       Category(category),
		Outcome:        casewirev1.Outcome(enumValue(casewirev1.Outcome_value, "OUTCOME_", outcome)),
		ActionRequired: action,
		Match:          casewirev1.MatchKind(enumValue(casewirev1.MatchKind_value, "MATCH_KIND_", match)),
		CanonicalTitle: canonical,
		FormType:       formType,
	}
}

// Category maps a stored taxonomy name to its enum; unspecified when empty or unknown.
func Category(name string) casewirev1.Category {
	return casewirev1.Category(enumValue(casewirev1.Category_value, "CATEGORY_", name))
}

// CategoryName maps an enum to its stored taxonomy name, "" for unspecified.
func CategoryName(c casewirev1.Category) string { return enumName(c.String(), "CATEGORY_", c == 0) }

// EventType maps a stored event type name to its enum; unspecified when empty or unknown.
func EventType(name string) casewirev1.EventType {
	return casewirev1.EventType(enumValue(casewirev1.EventType_value, "EVENT_TYPE_", name))
}

// EventTypeName maps an enum to its stored name, "" for unspecified.
func EventTypeName(t casewirev1.EventType) string {
	return enumName(t.String(), "EVENT_TYPE_", t == 0)
}

// enumName is the stored lower-case name of an enum value's name.
func enumName(full, prefix string, unspecified bool) string {
	if unspecified {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(full, prefix))
}

// enumValue maps a stored lower-case name to its enum number, 0 when empty or unknown.
func enumValue(values map[string]int32, prefix, name string) int32 {
	if name == "" {
		return 0
	}
	return values[prefix+strings.ToUpper(name)]
}

func timestampOrNil(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}
