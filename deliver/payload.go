package deliver

import (
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casewire/casewire/ent"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/webhook"
)

// body renders the delivery body of a stored event.
func body(ev *ent.Event) ([]byte, error) { return webhook.Encode(EventToProto(ev)) }

// EventToProto converts a stored event to its API form, which is also a delivery's data.
func EventToProto(ev *ent.Event) *casewirev1.Event {
	out := &casewirev1.Event{
		Id:                ev.ID,
		Type:              casewirev1.EventType(enumValue(casewirev1.EventType_value, "EVENT_TYPE_", ev.Type)),
		ReceiptNumber:     ev.ReceiptNumber,
		Sequence:          ev.Sequence,
		ObserveTime:       timestamppb.New(ev.ObserveTime),
		Source:            casewirev1.EventSource(enumValue(casewirev1.EventSource_value, "EVENT_SOURCE_", ev.Source)),
		MatterId:          ev.MatterID,
		MatterExternalId:  ev.MatterExternalID,
		ClientReference:   ev.ClientReference,
		Labels:            ev.Labels,
		WebhookEndpointId: ev.WebhookEndpointID,
		Status: status(ev.Category, ev.Outcome, ev.ActionRequired, ev.Match,
			ev.CanonicalTitle, ev.FormType),
		PreviousStatus: status(ev.PreviousCategory, ev.PreviousOutcome,
			ev.PreviousActionRequired, ev.PreviousMatch, ev.PreviousCanonicalTitle, ev.FormType),
	}
	if ev.UscisTime != nil {
		out.UscisTime = timestamppb.New(*ev.UscisTime)
	}
	if ev.TitleEn != "" || ev.DescriptionEn != "" {
		out.Uscis = &casewirev1.UscisStatus{
			TitleEn: ev.TitleEn, DescriptionEn: ev.DescriptionEn,
			TitleEs: ev.TitleEs, DescriptionEs: ev.DescriptionEs,
			FormType: ev.FormType, ModifiedDateRaw: ev.ModifiedDateRaw,
			SubmittedDateRaw: ev.SubmittedDateRaw,
		}
	}
	return out
}

func enumValue(values map[string]int32, prefix, name string) int32 {
	if name == "" {
		return 0
	}
	return values[prefix+strings.ToUpper(name)]
}

func status(category, outcome string, action bool, match, canonical, form string) *casewirev1.NormalizedStatus {
	if category == "" {
		return nil
	}
	return &casewirev1.NormalizedStatus{
		Category:       casewirev1.Category(enumValue(casewirev1.Category_value, "CATEGORY_", category)),
		Outcome:        casewirev1.Outcome(enumValue(casewirev1.Outcome_value, "OUTCOME_", outcome)),
		ActionRequired: action,
		Match:          casewirev1.MatchKind(enumValue(casewirev1.MatchKind_value, "MATCH_KIND_", match)),
		CanonicalTitle: canonical,
		FormType:       form,
	}
}
