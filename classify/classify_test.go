package classify

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// readReference reads the reference table the package embeds.
func readReference(t testing.TB) Table {
	t.Helper()
	f, err := os.Open("statuses.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table, err := ReadTable(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(table) < 100 {
		t.Fatalf("reference table has %d rows", len(table))
	}
	return table
}

func TestEveryRowClassifiesExactly(t *testing.T) {
	c := Default()
	for _, row := range readReference(t) {
		got := c.Classify(row.Title, row.ExampleDescription)
		want := Result{Category: row.Category, Outcome: row.Outcome, ActionRequired: row.ActionRequired,
			Match: MatchExact}
		got.CanonicalTitle, got.FormType, got.TitleES = "", "", ""
		if got != want {
			t.Errorf("line %d %q = %+v, want %+v", row.Line, row.Title, got, want)
		}
	}
}

func TestCanonicalTitleIsTheTables(t *testing.T) {
	c := Default()
	for _, row := range readReference(t) {
		got := c.Classify(row.Title, "").CanonicalTitle
		if Fold(got) != Fold(row.Title) || !hasTitle(readReference(t), got) {
			t.Errorf("line %d %q: canonical title %q", row.Line, row.Title, got)
		}
	}
}

func hasTitle(table Table, title string) bool {
	return slices.ContainsFunc(table, func(r Row) bool { return r.Title == title })
}

func TestSpellingVariantsShareOneTitle(t *testing.T) {
	c := Default()
	for _, row := range readReference(t) {
		want := c.Classify(row.Title, "")
		for _, v := range variants(row.Title) {
			got := c.Classify(v, "")
			if got != want {
				t.Errorf("%q = %+v, want %+v (as %q)", v, got, want, row.Title)
			}
		}
	}
}

// variants spells title the ways USCIS and people do.
func variants(title string) []string {
	out := []string{
		strings.ToUpper(title), strings.ToLower(title), "  " + title + " \t",
		strings.ReplaceAll(title, " ", "  "), strings.ReplaceAll(title, " ", "\u00a0"),
		title + ".", title + " !", "\u201c" + title + "\u201d",
	}
	for _, apos := range []string{"", "&#39;", "&#039;", "&apos;", "&amp;#39;", "\u2019", "&rsquo;", "`"} {
		out = append(out, strings.ReplaceAll(title, "'", apos))
	}
	for _, verb := range [][2]string{{"Mailed", "Sent"}, {"Sent", "Emailed"}, {"Emailed", "Mailed"}} {
		out = append(out, strings.ReplaceAll(title, "Was "+verb[0], "Was "+verb[1]))
	}
	return out
}

func TestFoldExamples(t *testing.T) {
	same := [][]string{
		{"Response To USCIS' Request For Evidence Was Received",
			"Response To USCIS Request For Evidence Was Received",
			"response to uscis&#39; request for evidence was received",
			"Response To USCIS\u2019 Request  For Evidence Was Received.",
			"RESPONSE TO USCIS&#x27; REQUEST FOR EVIDENCE WAS RECEIVED"},
		{"Case Was Approved And My Decision Was Emailed", "Case Was Approved And My Decision Was Sent",
			"Case Was Approved And My Decision Was Mailed", "case was approved and my decision was e-mailed"},
		{"Interview Cancelled", "Interview Canceled", "interview cancelled!"},
	}
	for _, group := range same {
		for _, s := range group[1:] {
			if Fold(s) != Fold(group[0]) {
				t.Errorf("Fold(%q) = %q, want %q", s, Fold(s), Fold(group[0]))
			}
		}
	}
	if got := Fold(" Case\tWas  Received... "); got != "case was received" {
		t.Errorf("Fold = %q", got)
	}
}

func TestExactPathDoesNotAllocate(t *testing.T) {
	c := Default()
	desc := "On May 1, 2024, we received your Form I-130, Petition for Alien Relative."
	allocs := testing.AllocsPerRun(100, func() {
		c.Classify("Response To USCIS&#39; Request For Evidence Was Received", desc)
	})
	if allocs != 0 {
		t.Errorf("exact path: %v allocs per call, want 0", allocs)
	}
}

func TestUnknown(t *testing.T) {
	got := Default().Classify("  Something  Entirely &amp; New ", "Nothing to see here.")
	want := Result{Category: Unknown, Outcome: OutcomeNone, Match: MatchNone,
		CanonicalTitle: "Something Entirely & New"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := Default().Classify("", ""); got.Match != MatchNone || got.Category != Unknown {
		t.Errorf("empty = %+v", got)
	}
}

func TestLabelNames(t *testing.T) {
	cats := []string{"acceptance", "biometrics", "review", "transfer", "interview", "evidence_request",
		"evidence_response", "decision", "card_production", "delivery_problem", "appeal",
		"oath_ceremony", "notice", "unknown"}
	outs := []string{"none", "approved", "denied", "rejected", "withdrawn", "closed", "revoked", "terminated"}
	for i, c := range Categories() {
		if string(c) != cats[i] || !c.Valid() {
			t.Errorf("category %d = %q", i, c)
		}
	}
	for i, o := range Outcomes() {
		if string(o) != outs[i] || !o.Valid() {
			t.Errorf("outcome %d = %q", i, o)
		}
	}
	if len(Categories()) != len(cats) || len(Outcomes()) != len(outs) {
		t.Error("wrong number of labels")
	}
	if Category("Decision").Valid() || Outcome("").Valid() {
		t.Error("Valid accepts a name outside the taxonomy")
	}
}

func TestSpanishTitle(t *testing.T) {
	got := Default().Classify("Case Was Approved", "")
	if got.TitleES != "Caso Fue Aprobado" {
		t.Errorf("TitleES = %q", got.TitleES)
	}
	tests := map[string]string{
		"Caso Fue Recibido (one caller fixture only, unverified)":   "Caso Fue Recibido",
		"Respuesta a la Petición de Evidencia... (only the prefix)": "",
		"Aprobación De Caso Reafirmada":                             "Aprobación De Caso Reafirmada",
		"":                                                          "",
	}
	for in, want := range tests {
		if got := spanishTitle(in); got != want {
			t.Errorf("spanishTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHistorySentenceQuotingATitleIsLabelledByIt(t *testing.T) {
	c := Default()
	got := c.Classify("", "On August 27, 2026, the status of your case was: Case Was Received.")
	if got.Category != Acceptance || got.Match != MatchExact || got.CanonicalTitle != "Case Was Received" {
		t.Fatalf("got %+v", got)
	}
	// A quoted title that means nothing falls through to the description rules.
	got = c.Classify("", "The status of your case was: Zorp.")
	if got.Category != Unknown {
		t.Fatalf("got %+v, want unknown", got)
	}
	// With a title, the quote is not looked at.
	got = c.Classify("Case Was Approved", "The status of your case was: Case Was Received.")
	if got.Category != Decision {
		t.Fatalf("got %+v, want the title's decision", got)
	}
}
