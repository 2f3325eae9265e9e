package classify

import (
	"strings"
	"testing"
)

type patternCase struct {
	rule, title, description string
	want                     labels
}

// titleCases has an unseen title for every title rule, named after the rule it must hit.
var titleCases = []patternCase{
	{"expedite", "Expedite Request Was Denied", "", is(Notice, OutcomeNone, false)},
	{"premium processing", "Premium Processing Request Was Received", "",
		is(Notice, OutcomeNone, false)},
	{"g-28 rejected", "Form G-28 Was Rejected Because It Was Not Signed", "",
		is(Notice, OutcomeNone, true)},
	{"g-28", "Form G-28 Was Received", "", is(Notice, OutcomeNone, false)},
	{"duplicate", "Request For A Duplicate Card Was Approved", "", is(Notice, OutcomeNone, false)},
	{"litigation", "Litigation Hold Notice Was Sent", "", is(Notice, OutcomeNone, false)},
	{"notice to appear", "Notice To Appear Was Issued", "", is(Notice, OutcomeNone, true)},
	{"appeal withdrawn", "Motion Was Withdrawn", "", is(Appeal, Withdrawn, false)},
	{"withdrawal request", "Request To Withdraw My Case Was Received", "",
		is(Notice, OutcomeNone, false)},
	{"withdrawn", "Case Was Withdrawn At My Request", "", is(Decision, Withdrawn, false)},
	{"not revoked", "Case Was Not Revoked And Remains Approved", "", is(Decision, OutcomeNone, false)},
	{"response", "Response To Notice Of Intent To Deny Was Received", "",
		is(EvidenceResponse, OutcomeNone, false)},
	{"evidence received", "Additional Evidence Was Received", "",
		is(EvidenceResponse, OutcomeNone, false)},
	{"notice of intent", "Notice Of Intent To Revoke Was Issued", "",
		is(EvidenceRequest, OutcomeNone, true)},
	{"request for evidence", "Second Request For Evidence Was Sent", "",
		is(EvidenceRequest, OutcomeNone, true)},
	{"rfe", "RFE Issued", "", is(EvidenceRequest, OutcomeNone, true)},
	{"side request", "Request To Change Address Was Rejected", "", is(Notice, OutcomeNone, false)},
	{"oath", "Oath Ceremony Notice Was Mailed", "", is(OathCeremony, OutcomeNone, true)},
	{"appeal denied", "Appeal Was Denied", "", is(Appeal, Denied, true)},
	{"appeal approved", "Appeal Was Sustained", "", is(Appeal, Approved, false)},
	{"appeal terminated", "Motion To Reopen Was Terminated", "", is(Appeal, Terminated, false)},
	{"appeal rejected", "Appeal Was Rejected As Improperly Filed", "", is(Appeal, Rejected, true)},
	{"appeal", "Motion To Reopen Was Received", "", is(Appeal, OutcomeNone, false)},
	{"undeliverable", "Notice Was Returned As Undeliverable", "",
		is(DeliveryProblem, OutcomeNone, true)},
	{"returned item", "Card Was Returned By The Post Office", "",
		is(DeliveryProblem, OutcomeNone, true)},
	{"rejected", "Case Was Rejected Because The Fee Was Missing", "", is(Decision, Rejected, true)},
	{"revoked automatically", "Approval Was Automatically Revoked", "", is(Decision, Revoked, false)},
	{"revoked", "Petition Approval Was Revoked", "", is(Decision, Revoked, true)},
	{"terminated", "Case Was Terminated", "", is(Decision, Terminated, true)},
	{"denied", "Application Was Denied", "", is(Decision, Denied, true)},
	{"approved", "Petition Was Approved", "", is(Decision, Approved, false)},
	{"closed", "Case Was Closed", "", is(Decision, Closed, false)},
	{"decision", "Decision Was Made On My Case", "", is(Decision, OutcomeNone, false)},
	{"biometrics scheduled", "Biometrics Appointment Was Rescheduled", "",
		is(Biometrics, OutcomeNone, true)},
	{"refund", "Biometrics Fee Will Be Refunded", "", is(Notice, OutcomeNone, false)},
	{"payment problem", "Payment Was Declined", "", is(Notice, OutcomeNone, true)},
	{"payment", "Payment Was Received", "", is(Notice, OutcomeNone, false)},
	{"fee received", "Fee Was Waived For My Case", "", is(Acceptance, OutcomeNone, false)},
	{"biometrics", "Fingerprints Were Taken", "", is(Biometrics, OutcomeNone, false)},
	{"transfer", "Case Was Transferred To The National Visa Center", "",
		is(Transfer, OutcomeNone, false)},
	{"interview scheduled", "Interview Was Rescheduled", "", is(Interview, OutcomeNone, true)},
	{"interview", "Interview Was Canceled", "", is(Interview, OutcomeNone, false)},
	{"letter", "Letter Was Received And Is Being Reviewed", "", is(Notice, OutcomeNone, false)},
	{"card produced", "Employment Authorization Card Was Mailed", "",
		is(CardProduction, OutcomeNone, false)},
	{"item received", "Card Was Received By USCIS", "", is(Notice, OutcomeNone, false)},
	{"review", "Case Is Being Processed", "", is(Review, OutcomeNone, false)},
	{"case received", "Case Was Received At The National Benefits Center", "",
		is(Acceptance, OutcomeNone, false)},
	{"administrative notice", "Address Was Updated", "", is(Notice, OutcomeNone, false)},
	{"received", "Form Was Accepted", "", is(Acceptance, OutcomeNone, false)},
}

// descriptionCases pair a title no rule knows with a description for every description rule.
var descriptionCases = []patternCase{
	{"expedite", "", "On May 1, 2024, we denied your request to expedite your Form I-765.",
		is(Notice, OutcomeNone, false)},
	{"response received", "", "We received your response to our Notice of Intent to Deny.",
		is(EvidenceResponse, OutcomeNone, false)},
	{"evidence requested", "", "We sent you a notice of intent to deny your Form I-485.",
		is(EvidenceRequest, OutcomeNone, true)},
	{"appeal dismissed", "", "The AAO dismissed your appeal on May 1.", is(Appeal, Denied, true)},
	{"appeal terminated", "", "We terminated your appeal for Form I-290B.",
		is(Appeal, Terminated, false)},
	{"appeal withdrawn", "", "We acknowledged withdrawal of your appeal.",
		is(Appeal, Withdrawn, false)},
	{"appeal", "", "We sent your case to the Administrative Appeals Office.",
		is(Appeal, OutcomeNone, false)},
	{"rejected", "", "We rejected your Form I-130 because the fee was missing.",
		is(Decision, Rejected, true)},
	{"revoked automatically", "", "We automatically revoked your Form I-140.",
		is(Decision, Revoked, false)},
	{"revoked", "", "We revoked your Form I-129 and sent you a notice.", is(Decision, Revoked, true)},
	{"terminated", "", "We sent you a termination notice for your case.",
		is(Decision, Terminated, true)},
	{"denied", "", "On May 1, we denied your Form N-400. Please go to www.uscis.gov/e-request to request a copy.",
		is(Decision, Denied, true)},
	{"approved", "", "On May 1, we approved your Form I-765.", is(Decision, Approved, false)},
	{"closed", "", "We closed your Form I-485 because you withdrew it.", is(Decision, Closed, false)},
	{"biometrics scheduled", "", "We scheduled your fingerprint appointment.",
		is(Biometrics, OutcomeNone, true)},
	{"interview scheduled", "", "We scheduled an interview for your Form N-400.",
		is(Interview, OutcomeNone, true)},
	{"no one came", "", "No one came to the appointment.", is(Biometrics, OutcomeNone, true)},
	{"interview", "", "We cancelled your interview and will reschedule it.",
		is(Interview, OutcomeNone, false)},
	{"transferred", "", "We transferred your Form I-485 to another office.",
		is(Transfer, OutcomeNone, false)},
	{"undeliverable", "", "The Post Office could not deliver your notice.",
		is(DeliveryProblem, OutcomeNone, true)},
	{"card", "", "We mailed your new card to the address you gave us.",
		is(CardProduction, OutcomeNone, false)},
	{"reviewing", "", "We are actively reviewing your Form I-751.", is(Review, OutcomeNone, false)},
	{"fee not accepted", "", "We did not accept your fee resubmission.",
		is(Notice, OutcomeNone, true)},
	{"refund", "", "We refunded your biometrics fee.", is(Notice, OutcomeNone, false)},
	{"updated", "", "We updated your address.", is(Notice, OutcomeNone, false)},
	{"side notice", "", "We mailed you an amended notice.", is(Notice, OutcomeNone, false)},
	{"side request", "", "We received your request to reschedule your appointment.",
		is(Notice, OutcomeNone, false)},
	{"received", "", "We received your Form I-130 and sent you a receipt notice.",
		is(Acceptance, OutcomeNone, false)},
}

func TestTitlePatterns(t *testing.T) { testPatterns(t, titleRules, titleCases, true) }
func TestDescriptionPatterns(t *testing.T) {
	testPatterns(t, descriptionRules, descriptionCases, false)
}

// testPatterns checks each case hits its rule with the expected labels, and every rule has a case.
func testPatterns(t *testing.T, rs rules, cases []patternCase, onTitle bool) {
	c := Default()
	hit := map[string]bool{}
	for _, tc := range cases {
		title := tc.title
		if !onTitle {
			title = "Case Status Update"
		}
		if _, ok := c.exact[Fold(title)]; ok {
			t.Errorf("%q is in the table: pick an unseen title", title)
		}
		text := Fold(tc.title)
		if !onTitle {
			text = Fold(tc.description)
		}
		if i := rs.index(text); i < 0 || rs[i].name != tc.rule {
			t.Errorf("%q%q hits rule %d, want %q", tc.title, tc.description, i, tc.rule)
		}
		hit[tc.rule] = true
		got := c.Classify(title, tc.description)
		want := tc.want.apply(Result{CanonicalTitle: title})
		if got.FormType = ""; got != want {
			t.Errorf("%q%q = %+v, want %+v", tc.title, tc.description, got, want)
		}
	}
	names := map[string]bool{}
	for _, r := range rs {
		if names[r.name] {
			t.Errorf("two rules named %q", r.name)
		}
		names[r.name] = true
		if !hit[r.name] {
			t.Errorf("rule %q has no test case", r.name)
		}
	}
}

func TestTraps(t *testing.T) {
	tests := []struct {
		title string
		want  labels
	}{
		{"Notice of Intent to Deny Was Mailed", is(EvidenceRequest, OutcomeNone, true)},
		{"Notice Of Intent To Deny Was Issued", is(EvidenceRequest, OutcomeNone, true)},
		{"Expedite Request Denied", is(Notice, OutcomeNone, false)},
		{"Expedite Request Was Denied Today", is(Notice, OutcomeNone, false)},
		{"Form G-28 Was Rejected", is(Notice, OutcomeNone, true)},
		{"Request For A Duplicate Card Was Approved", is(Notice, OutcomeNone, false)},
		{"Response To USCIS' Request For Evidence Was Received", is(EvidenceResponse, OutcomeNone, false)},
		{"Response To Request For Initial Evidence Was Received", is(EvidenceResponse, OutcomeNone, false)},
		{"Case Was Not Revoked", is(Decision, OutcomeNone, false)},
		{"Petition Withdrawn/Over 180 Days/Not Automatically Revoked", is(Decision, Withdrawn, false)},
		{"Request Was Rejected", is(Notice, OutcomeNone, false)},
	}
	for _, tt := range tests {
		got := Default().Classify(tt.title, "")
		if got.Category != tt.want.category || got.Outcome != tt.want.outcome ||
			got.ActionRequired != tt.want.action {
			t.Errorf("%q = %+v, want %+v", tt.title, got, tt.want)
		}
	}
}

// TestPatternsAgreeWithTable guards the patterns' reach: with an empty table they label
// almost every reference title the way the table does.
func TestPatternsAgreeWithTable(t *testing.T) {
	known := map[string]bool{
		// The table keeps action off once the letter about the destroyed document is in.
		"Document Was Destroyed And Letter Was Received": true,
		// The reference description is a template with the event left out.
		"Case Was Reopened": true, "Case Was Reopened For Reconsideration": true,
	}
	empty := &Classifier{exact: map[string]Result{}}
	for _, row := range readReference(t) {
		byTitle := empty.Classify(row.Title, "")
		byDesc := empty.Classify("", row.ExampleDescription)
		for _, got := range []Result{byTitle, byDesc} {
			if got == byDesc && row.ExampleDescription == "" || known[row.Title] || row.Category == Unknown {
				continue
			}
			if got.Category != row.Category || got.Outcome != row.Outcome || got.ActionRequired != row.ActionRequired {
				t.Errorf("patterns label %q as %s/%s/%v, table says %s/%s/%v", row.Title,
					got.Category, got.Outcome, got.ActionRequired, row.Category, row.Outcome, row.ActionRequired)
			}
		}
	}
}

func TestFormType(t *testing.T) {
	tests := map[string]string{
		"On May 1, we approved your Form I-130, Petition for Alien Relative.": "I-130",
		"Your I-765 was received.":                             "I-765",
		"we received your Form I-129F, Receipt":                "I-129F",
		"Form N-400.":                                          "N-400",
		"Form AR-11 was received":                              "AR-11",
		"\u201cI-485\u201d":                                    "I-485",
		"go to www.uscis.gov/e-request or call 1-800-375-5283": "",
		"an aI-130 and I-1300000 and I-":                       "",
		"":                                                     "",
		"first I-131 then I-765":                               "I-131",
	}
	for in, want := range tests {
		if got := FindFormType(in); got != want {
			t.Errorf("FindFormType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormTypePrecedence(t *testing.T) {
	c := Default()
	desc := "On May 1, we approved your Form I-130, Petition for Alien Relative."
	tests := []struct{ formType, want string }{
		{"I-485", "I-485"}, {"", "I-130"}, {"  ", "I-130"},
	}
	for _, tt := range tests {
		if got := c.ClassifyForm("Case Was Approved", desc, tt.formType).FormType; got != tt.want {
			t.Errorf("ClassifyForm(formType %q) = %q, want %q", tt.formType, got, tt.want)
		}
	}
	if got := c.Classify("Case Was Approved", desc).FormType; got != "I-130" {
		t.Errorf("Classify form type = %q", got)
	}
	if KeepFormType("I-130", "") != "I-130" || KeepFormType("I-130", "I-485") != "I-485" {
		t.Error("KeepFormType replaced a known form with an empty one or kept a stale one")
	}
}

func TestTitlesAreNotDescriptionWords(t *testing.T) {
	// Boilerplate shared by every description must not label an unknown status.
	desc := "If you do not receive your notice by May 1, please go to www.uscis.gov/e-request " +
		"to request a copy of the notice. If you move, go to www.uscis.gov/addresschange."
	if got := Default().Classify("Something New", desc); got.Match != MatchNone {
		t.Errorf("boilerplate labelled %+v", got)
	}
	if !strings.Contains(Fold(desc), "request") {
		t.Fatal("test description lost its trap")
	}
}
