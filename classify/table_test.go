package classify

import (
	"strings"
	"testing"
)

const fullHeader = "title\ttitle_es\texample_description\tcategory\toutcome\taction_required\n"

func TestReadTable(t *testing.T) {
	in := "# operator overrides\n" +
		"category\ttitle\toutcome\taction_required\n" +
		"\n" +
		"decision\tCase Was Approved By The Judge\tapproved\tfalse\r\n" +
		"notice\tSomething New\tnone\tTRUE\n"
	got, err := ReadTable(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := Table{
		{Title: "Case Was Approved By The Judge", Category: Decision, Outcome: Approved, Line: 4},
		{Title: "Something New", Category: Notice, Outcome: OutcomeNone, ActionRequired: true, Line: 5},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ReadTable = %+v, want %+v", got, want)
	}
}

func TestReadTableErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no header", "", "no header"},
		{"unknown column", "title\tcolour\n", `unknown column "colour"`},
		{"missing column", "title\tcategory\toutcome\n", `missing column "action_required"`},
		{"bad category",
			fullHeader + "A\t\t\tDecision\tapproved\tfalse\n", `line 2: unknown category "Decision"`},
		{"bad outcome",
			fullHeader + "A\t\t\tdecision\tgranted\tfalse\n", `line 2: unknown outcome "granted"`},
		{"outcome off decision",
			fullHeader + "A\t\t\tnotice\tdenied\ttrue\n", `line 2: outcome "denied" on category "notice"`},
		{"bad bool",
			fullHeader + "A\t\t\tnotice\tnone\tyes please\n", `line 2: action_required "yes please"`},
		{"field count", fullHeader + "A\tnotice\tnone\tfalse\n", "line 2: 4 fields, want 6"},
		{"empty title", fullHeader + " ...\t\t\tnotice\tnone\tfalse\n", "line 2: empty title"},
		{"every line",
			fullHeader + "A\t\t\tx\tnone\tfalse\nB\t\t\tnotice\ty\tfalse\n", "line 3: unknown outcome"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTable(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadTable error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNewOverrides(t *testing.T) {
	extra := Table{
		{Title: "Case Was Approved", Category: Decision, Outcome: Approved, ActionRequired: true},
		{Title: "Brand New Status", TitleES: "Estado Nuevo", Category: Review, Outcome: OutcomeNone},
	}
	c, err := New(extra)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Classify("CASE WAS APPROVED", ""); !got.ActionRequired || got.Match != MatchExact {
		t.Errorf("override not applied: %+v", got)
	}
	want := Result{Category: Review, Outcome: OutcomeNone, Match: MatchExact,
		CanonicalTitle: "Brand New Status", TitleES: "Estado Nuevo"}
	if got := c.Classify("brand new status.", ""); got != want {
		t.Errorf("added title = %+v, want %+v", got, want)
	}
	if Default().Classify("Case Was Approved", "").ActionRequired {
		t.Error("an override changed the default classifier")
	}
}

func TestNewRejectsConflicts(t *testing.T) {
	bad := []Table{
		{{Title: "Same Title", Category: Notice, Outcome: OutcomeNone, Line: 2},
			{Title: "same title.", Category: Review, Outcome: OutcomeNone, Line: 7}},
		{{Title: "X", Category: "bogus", Outcome: OutcomeNone}},
		{{Title: "X", Category: Review, Outcome: Approved}},
	}
	for _, table := range bad {
		if _, err := New(table); err == nil {
			t.Errorf("New(%+v) accepted a bad table", table)
		}
	}
	_, err := New(bad[0])
	if err == nil || !strings.Contains(err.Error(), "line 7") || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("conflict error %v does not name both lines", err)
	}
}
