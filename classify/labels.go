package classify

// Category is what kind of event a status is.
type Category string

// Categories of TAXONOMY.md.
const (
	Acceptance       Category = "acceptance"
	Biometrics       Category = "biometrics"
	Review           Category = "review"
	Transfer         Category = "transfer"
	Interview        Category = "interview"
	EvidenceRequest  Category = "evidence_request"
	EvidenceResponse Category = "evidence_response"
	Decision         Category = "decision"
	CardProduction   Category = "card_production"
	DeliveryProblem  Category = "delivery_problem"
	Appeal           Category = "appeal"
	OathCeremony     Category = "oath_ceremony"
	Notice           Category = "notice"
	Unknown          Category = "unknown"
)

// Outcome is the result of a decision or an appeal; every other status has OutcomeNone.
type Outcome string

// Outcomes of TAXONOMY.md.
const (
	OutcomeNone Outcome = "none"
	Approved    Outcome = "approved"
	Denied      Outcome = "denied"
	Rejected    Outcome = "rejected"
	Withdrawn   Outcome = "withdrawn"
	Closed      Outcome = "closed"
	Revoked     Outcome = "revoked"
	Terminated  Outcome = "terminated"
)

// Match says how a label was found.
type Match string

// Ways a label is found.
const (
	// MatchExact means the folded title is in the reference table.
	MatchExact Match = "exact"
	// MatchPattern means an ordered rule matched an unseen title or its description.
	MatchPattern Match = "pattern"
	// MatchNone means nothing matched: the category is Unknown.
	MatchNone Match = "none"
)

// Categories returns every category, Unknown last. The slice is the caller's to keep.
func Categories() []Category {
	return []Category{
		Acceptance, Biometrics, Review, Transfer, Interview, EvidenceRequest,
		EvidenceResponse, Decision, CardProduction, DeliveryProblem, Appeal,
		OathCeremony, Notice, Unknown,
	}
}

// Outcomes returns every outcome, OutcomeNone first. The slice is the caller's to keep.
func Outcomes() []Outcome {
	return []Outcome{OutcomeNone, Approved, Denied, Rejected, Withdrawn, Closed, Revoked, Terminated}
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	switch c {
	case Acceptance, Biometrics, Review, Transfer, Interview, EvidenceRequest,
		EvidenceResponse, Decision, CardProduction, DeliveryProblem, Appeal,
		OathCeremony, Notice, Unknown:
		return true
	}
	return false
}

// Valid reports whether o is one of Outcomes.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeNone, Approved, Denied, Rejected, Withdrawn, Closed, Revoked, Terminated:
		return true
	}
	return false
}

// HasOutcome reports whether statuses of category c may carry an outcome other than
// OutcomeNone: only decisions and appeals do.
func (c Category) HasOutcome() bool { return c == Decision || c == Appeal }
