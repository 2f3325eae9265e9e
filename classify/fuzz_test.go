package classify

import (
	"testing"
)

func FuzzClassify(f *testing.F) {
	f.Add("Case Was Approved", "we approved your Form I-130", "")
	f.Add("Response To USCIS&#39; Request For Evidence Was Received", "", "I-485")
	f.Add("Expedite Request Denied", "we denied your request to expedite", "")
	f.Add("&amp;#x2019;&#;&#xFFFFFFF;\u00a0\u2019 .", "\xff\xfe", " ")
	f.Add("", "", "")
	c := Default()
	titles := map[string]bool{}
	for _, row := range readReference(f) {
		titles[row.Title] = true
	}
	f.Fuzz(func(t *testing.T, title, description, formType string) {
		got := c.ClassifyForm(title, description, formType)
		if again := c.ClassifyForm(title, description, formType); again != got {
			t.Fatalf("two answers: %+v then %+v", got, again)
		}
		if !got.Category.Valid() || !got.Outcome.Valid() {
			t.Fatalf("undefined label in %+v", got)
		}
		if got.Outcome != OutcomeNone && !got.Category.HasOutcome() {
			t.Fatalf("outcome on %+v", got)
		}
		switch got.Match {
		case MatchExact:
			if !titles[got.CanonicalTitle] || Fold(got.CanonicalTitle) != Fold(title) {
				t.Fatalf("exact match %q is not a table title for %q", got.CanonicalTitle, title)
			}
		case MatchPattern:
		case MatchNone:
			if got.Category != Unknown || got.ActionRequired {
				t.Fatalf("no match but labelled: %+v", got)
			}
		default:
			t.Fatalf("undefined match %q", got.Match)
		}
		if Fold(Fold(title)) != Fold(title) {
			t.Fatalf("Fold is not idempotent on %q", title)
		}
	})
}
