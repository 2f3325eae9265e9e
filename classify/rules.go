package classify

import "strings"

// labels are what a pattern assigns.
type labels struct {
	category Category
	outcome  Outcome
	action   bool
}

func (l labels) apply(r Result) Result {
	r.Category, r.Outcome, r.ActionRequired, r.Match = l.category, l.outcome, l.action, MatchPattern
	return r
}

// rule matches folded text when every condition holds. A condition lists alternatives
// separated by "|"; a leading "!" negates it. Each alternative must start at a word: "reject"
// matches "rejected", and a trailing space ("denied ") also pins the end of the word.
type rule struct {
	name  string
	conds []cond
	labels
}

type cond struct {
	alts   []string // each with a leading space
	negate bool
}

// rules is an ordered list: the first rule that matches decides.
type rules []rule

// match returns the labels of the first rule that matches folded text.
func (rs rules) match(folded string) (labels, bool) {
	if i := rs.index(folded); i >= 0 {
		return rs[i].labels, true
	}
	return labels{}, false
}

// index returns the position of the first matching rule, or -1.
func (rs rules) index(folded string) int {
	if folded == "" {
		return -1
	}
	s := " " + folded + " "
	for i, r := range rs {
		if r.matches(s) {
			return i
		}
	}
	return -1
}

func (r rule) matches(padded string) bool {
	for _, c := range r.conds {
		if c.holds(padded) == c.negate {
			return false
		}
	}
	return true
}

func (c cond) holds(padded string) bool {
	for _, a := range c.alts {
		if strings.Contains(padded, a) {
			return true
		}
	}
	return false
}

// when builds a rule; it runs only while the package initialises.
func when(name string, l labels, conds ...string) rule {
	r := rule{name: name, labels: l}
	for _, c := range conds {
		neg := strings.HasPrefix(c, "!")
		var alts []string
		for _, a := range strings.Split(strings.TrimPrefix(c, "!"), "|") {
			alts = append(alts, " "+a)
		}
		r.conds = append(r.conds, cond{alts: alts, negate: neg})
	}
	return r
}

func is(c Category, o Outcome, action bool) labels { return labels{c, o, action} }

// titleRules label unseen titles, in order. Side notices come first because their titles
// carry decision words ("Expedite Request Denied"); responses come before requests, notices of
// intent before decisions, and appeals before decisions on the case itself.
var titleRules = rules{
	when("expedite", is(Notice, OutcomeNone, false), "expedite"),
	when("premium processing", is(Notice, OutcomeNone, false),
		"premium processing|premium-processing"),
	when("g-28 rejected", is(Notice, OutcomeNone, true), "g-28|g28", "reject"),
	when("g-28", is(Notice, OutcomeNone, false), "g-28|g28"),
	when("duplicate", is(Notice, OutcomeNone, false), "duplicate", "request|notice"),
	when("litigation", is(Notice, OutcomeNone, false), "litigation"),
	when("notice to appear", is(Notice, OutcomeNone, true), "notice to appear"),
	when("appeal withdrawn", is(Appeal, Withdrawn, false), "withdraw", "appeal|motion"),
	when("withdrawal request", is(Notice, OutcomeNone, false),
		"withdrawal request|request to withdraw"),
	when("withdrawn", is(Decision, Withdrawn, false), "withdraw"),
	when("not revoked", is(Decision, OutcomeNone, false), "not |never ", "revok"),
	when("response", is(EvidenceResponse, OutcomeNone, false), "respon|correspondence"),
	when("evidence received", is(EvidenceResponse, OutcomeNone, false),
		"evidence|rfe |rfie ", "received"),
	when("notice of intent", is(EvidenceRequest, OutcomeNone, true), "intent to|notice explaining"),
	when("request for evidence", is(EvidenceRequest, OutcomeNone, true), "request", "evidence"),
	when("rfe", is(EvidenceRequest, OutcomeNone, true), "rfe |rfie "),
	when("side request", is(Notice, OutcomeNone, false), "request"),
	when("oath", is(OathCeremony, OutcomeNone, true), "oath"),
	when("appeal denied", is(Appeal, Denied, true), appealWords, "dismiss|denied |denial|revers"),
	when("appeal approved", is(Appeal, Approved, false), appealWords, "sustain|approved |granted"),
	when("appeal terminated", is(Appeal, Terminated, false), appealWords, "terminat"),
	when("appeal rejected", is(Appeal, Rejected, true), appealWords, "reject"),
	when("appeal", is(Appeal, OutcomeNone, false), appealWords),
	when("undeliverable", is(DeliveryProblem, OutcomeNone, true), undeliverable),
	when("returned item", is(DeliveryProblem, OutcomeNone, true),
		"card|document|notice|permit|ead ", "returned"),
	when("rejected", is(Decision, Rejected, true), "reject"),
	when("revoked automatically", is(Decision, Revoked, false), "revok|revocation", "automatic"),
	when("revoked", is(Decision, Revoked, true), "revok|revocation"),
	when("terminated", is(Decision, Terminated, true), "terminat"),
	when("denied", is(Decision, Denied, true), "denied |denial|deny "),
	when("approved", is(Decision, Approved, false), "approv"),
	when("closed", is(Decision, Closed, false), "closed |closure"),
	when("decision", is(Decision, OutcomeNone, false), "decision"),
	when("biometrics scheduled", is(Biometrics, OutcomeNone, true),
		biometricWords, "schedul|rescheduled|appeared|missed"),
	when("refund", is(Notice, OutcomeNone, false), "refund"),
	when("payment problem", is(Notice, OutcomeNone, true),
		"payment|fee |fees |funds|check ", paymentProblem),
	when("payment", is(Notice, OutcomeNone, false), "payment"),
	when("fee received", is(Acceptance, OutcomeNone, false),
		"waived|lockbox|filed under|receipt notice|fee received|fee was received"),
	when("biometrics", is(Biometrics, OutcomeNone, false), biometricWords),
	when("transfer", is(Transfer, OutcomeNone, false), transferWords),
	when("interview scheduled", is(Interview, OutcomeNone, true),
		"interview", "was scheduled|is scheduled|rescheduled", "!cancel"),
	when("interview", is(Interview, OutcomeNone, false), "interview"),
	when("letter", is(Notice, OutcomeNone, false), "letter"),
	when("card produced", is(CardProduction, OutcomeNone, false),
		cardWords, "produc|sent|delivered|ordered|picked up|ready for pick"),
	when("item received", is(Notice, OutcomeNone, false), cardWords, "received"),
	when("review", is(Review, OutcomeNone, false),
		"review|pending|on hold|hold |processing|being processed"),
	when("case received", is(Acceptance, OutcomeNone, false), "case ", "received|accepted"),
	when("administrative notice", is(Notice, OutcomeNone, false),
		"notice|updated|corrected|correction|name |date of birth|report|address"),
	when("received", is(Acceptance, OutcomeNone, false), "received|accepted|receipt"),
}

const (
	appealWords   = "appeal|motion |motions |appellate|reopen|reconsider|remand|certified "
	undeliverable = "undeliverable|could not deliver|could not be delivered|destroyed|" +
		"being held|will be held|held for"
	biometricWords = "biometric|fingerprint|in-person processing|application support center"
	paymentProblem = "issue|problem|returned|not accepted|insufficient|declined|dishonored|" +
		"suspended|not signed"
	transferWords = "transferred|transfer |relocated|jurisdiction|consulate|embassy|" +
		"department of state|" +
		"national visa center|immigration review|immigration court|returned to uscis by"
	cardWords = "card|document|permit|ead |certificate|green card"
)

// descriptionRules label a status by its description when the title says nothing known. They
// look for the sentence that states the event ("we denied your"), never for words of the
// boilerplate every description shares ("go to www.uscis.gov/e-request to request a copy").
var descriptionRules = rules{
	when("expedite", is(Notice, OutcomeNone, false), "expedite|premium-processing|premium processing"),
	when("response received", is(EvidenceResponse, OutcomeNone, false),
		"received your response|received your correspondence"),
	when("evidence requested", is(EvidenceRequest, OutcomeNone, true),
		"request for evidence explains|sent a request for|sent you a request for|intend to take|"+
			"notice of intent|intent to deny|intent to revoke|intent to terminate|intent to rescind"),
	when("appeal dismissed", is(Appeal, Denied, true), "appeal was dismissed|dismissed your appeal"),
	when("appeal terminated", is(Appeal, Terminated, false), "terminated your appeal"),
	when("appeal withdrawn", is(Appeal, Withdrawn, false), "withdrawal of your appeal"),
	when("appeal", is(Appeal, OutcomeNone, false),
		"appellate authority|administrative appeals office|certified the approval"),
	when("rejected", is(Decision, Rejected, true), "we rejected your"),
	when("revoked automatically", is(Decision, Revoked, false), "automatically revoked your"),
	when("revoked", is(Decision, Revoked, true), "revoked your|revoked the approval"),
	when("terminated", is(Decision, Terminated, true), "termination notice|we terminated your"),
	when("denied", is(Decision, Denied, true), "we denied your"),
	when("approved", is(Decision, Approved, false), "we approved your|approval of your case"),
	when("closed", is(Decision, Closed, false), "we closed your|administratively closed"),
	when("biometrics scheduled", is(Biometrics, OutcomeNone, true),
		"biometrics appointment|fingerprint", "scheduled"),
	when("interview scheduled", is(Interview, OutcomeNone, true),
		"scheduled an interview|scheduled your interview"),
	when("no one came", is(Biometrics, OutcomeNone, true), "no one came to the appointment"),
	when("interview", is(Interview, OutcomeNone, false),
		"cancelled your interview|cancelled or descheduled|ready to schedule|your interview for"),
	when("transferred", is(Transfer, OutcomeNone, false),
		"transferred your|was transferred to|transferred to another|department of state"),
	when("undeliverable", is(DeliveryProblem, OutcomeNone, true),
		"could not deliver|destroyed your|will hold your"),
	when("card", is(CardProduction, OutcomeNone, false),
		"sent your new card|sent your card|produced your|ordered your new card|delivered your new card|"+
			"sent your travel document|sent your document"),
	when("reviewing", is(Review, OutcomeNone, false),
		"actively reviewing|we are processing it|is pending"),
	when("fee not accepted", is(Notice, OutcomeNone, true), "did not accept your"),
	when("refund", is(Notice, OutcomeNone, false), "refund"),
	when("updated", is(Notice, OutcomeNone, false), "updated your"),
	when("side notice", is(Notice, OutcomeNone, false),
		"amended notice|duplicate notice|continuation notice|litigation|"+
			"informing you that you are eligible"),
	when("side request", is(Notice, OutcomeNone, false),
		"received your request|received your card|received your travel document"),
	when("received", is(Acceptance, OutcomeNone, false),
		"accepted your|accepted the|we received your"),
}
