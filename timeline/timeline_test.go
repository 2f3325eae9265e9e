package timeline

import (
	"testing"
	"time"

	"github.com/casewire/casewire/ent"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, seq := range []int64{0, 1, 42, 1 << 40} {
		got, err := DecodeCursor(EncodeCursor(seq))
		if err != nil || got != seq {
			t.Fatalf("DecodeCursor(EncodeCursor(%d)) = %d, %v", seq, got, err)
		}
	}
	for _, bad := range []string{"x", "Zm9v", EncodeCursor(1) + "!", "ZjE6LTE"} {
		if _, err := DecodeCursor(bad); err == nil {
			t.Errorf("DecodeCursor(%q) accepted", bad)
		}
	}
}

func TestEventProtoCarriesCursorAndNames(t *testing.T) {
	e := &ent.Event{
		ID: "evt_1", Type: "status_changed", FeedSeq: 7, Source: "uscis_history",
		Category: "evidence_request", Outcome: "none", ActionRequired: true, Match: "exact",
		PreviousCategory: "acceptance", PreviousOutcome: "none", ObserveTime: time.Unix(5, 0),
	}
	p := EventProto(e)
	if seq, _ := DecodeCursor(p.GetCursor()); seq != 7 {
		t.Fatalf("cursor %q decodes to %d, want 7", p.GetCursor(), seq)
	}
	if p.GetType() != casewirev1.EventType_EVENT_TYPE_STATUS_CHANGED ||
		p.GetSource() != casewirev1.EventSource_EVENT_SOURCE_USCIS_HISTORY ||
		p.GetStatus().GetCategory() != casewirev1.Category_CATEGORY_EVIDENCE_REQUEST ||
		p.GetPreviousStatus().GetCategory() != casewirev1.Category_CATEGORY_ACCEPTANCE {
		t.Fatalf("event = %v", p)
	}
	if p.GetUscis() != nil {
		t.Fatal("an event with no USCIS text has a uscis block")
	}
}

func TestEnumNamesRoundTrip(t *testing.T) {
	for v := range casewirev1.Category_name {
		c := casewirev1.Category(v)
		if got := Category(CategoryName(c)); got != c {
			t.Errorf("category %v -> %q -> %v", c, CategoryName(c), got)
		}
	}
	for v := range casewirev1.EventType_name {
		e := casewirev1.EventType(v)
		if got := EventType(EventTypeName(e)); got != e {
			t.Errorf("event type %v -> %q -> %v", e, EventTypeName(e), got)
		}
	}
	if CategoryName(casewirev1.Category_CATEGORY_EVIDENCE_REQUEST) != "evidence_request" ||
		Category("not_a_category") != casewirev1.Category_CATEGORY_UNSPECIFIED {
		t.Fatal("names do not follow the taxonomy")
	}
}
