package emulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The sandbox's staging receipts (CONTRACT.md). Ranges are written "EAC9999103403-05".
var (
	sandboxWithHistory = expand("EAC9999103403-05", "EAC9999103410", "EAC9999103411",
		"EAC9999103416", "EAC9999103419", "LIN9999106498", "LIN9999106499", "LIN9999106504-06",
		"SRC9999102777-87", "SRC9999132710", "SRC9999132719")
	sandboxNoHistory = expand("EAC9999103400", "EAC9999103402", "EAC9999103406-09",
		"EAC9999103412-15", "EAC9999103420", "EAC9999103421", "EAC9999103424-26",
		"EAC9999103428", "EAC9999103429", "EAC9999103431", "EAC9999103432", "LIN9999106501",
		"LIN9999106507", "SRC9999132694", "SRC9999132695", "SRC9999132706", "SRC9999132707")
)

// SandboxReceipts returns the sandbox staging receipts the emulator answers, with history
// and without.
func SandboxReceipts() (withHistory, withoutHistory []string) {
	return keys(sandboxWithHistory), keys(sandboxNoHistory)
}

// sandboxDate is the date every staging case carries, as in the documented example.
var sandboxDate = time.Date(2023, 9, 5, 14, 28, 46, 0, eastern)

// sandboxTitles and sandboxForms vary the staging cases other than the documented ones.
var (
	sandboxTitles = []string{"Case Was Received", "Case Is Being Actively Reviewed By USCIS",
		"Case Was Approved", "Request for Evidence Was Sent", "Card Was Mailed To Me",
		"Case Was Denied", "Interview Was Scheduled", "Case Approval Was Affirmed"}
	sandboxForms = []string{"I-130", "I-485", "I-765", "N-400", "I-129"}
)

// sandboxCase answers a staging receipt. EAC9999103402 and EAC9999103403 are the
// documented examples, byte for byte; the others are fixed variations.
func sandboxCase(rn string) (wireCase, bool) {
	idx, hist := sandboxWithHistory[rn], true
	if _, ok := sandboxWithHistory[rn]; !ok {
		var found bool
		if idx, found = sandboxNoHistory[rn]; !found {
			return wireCase{}, false
		}
		hist = false
	}
	switch rn {
	case "EAC9999103402":
		return example402(), true
	case "EAC9999103403":
		return example403(), true
	}
	name := sandboxTitles[idx%len(sandboxTitles)]
	form := sandboxForms[idx%len(sandboxForms)]
	c := wireCase{
		ReceiptNumber: rn, FormType: form,
		SubmittedDate: stamp(sandboxDate), ModifiedDate: stamp(sandboxDate),
		TextEN: name, DescEN: describe(name, form, rn, sandboxDate), TextES: mustTitle(name).es,
	}
	if hist {
		for i := range 1 + idx%3 {
			day := sandboxDate.AddDate(0, 0, -7*(i+1))
			c.History = append(c.History, wireHistory{Date: day.Format(layoutDay),
				TextEN: fmt.Sprintf("We updated your Form %s on %s.", form, longDate(day))})
		}
	}
	return c, true
}

func example402() wireCase {
	return wireCase{
		ReceiptNumber: "EAC9999103402", FormType: "I-130",
		SubmittedDate: "09-05-2023 14:28:46", ModifiedDate: "09-05-2023 14:28:46",
		TextEN: "Case Approval Was Affirmed", DescEN: "The approval of your case was affirmed.",
		TextES: "Aprobación De Caso Reafirmada",
		DescES: "La aprobación de su caso fue reafirmada.",
	}
}

func example403() wireCase {
	return wireCase{
		ReceiptNumber: "EAC9999103403", FormType: "I-130",
		SubmittedDate: "09-05-2023 14:28:46", ModifiedDate: "09-05-2023 14:28:46",
		TextEN: "Case Was Approved",
		DescEN: "On September 5, 2023, we approved your Form I-130, Petition for Alien " +
			"Relative, Receipt Number EAC9999103403. We sent you an approval notice. Please " +
			"follow the instructions in the notice.",
		TextES: "Caso Fue Aprobado",
		DescES: "El 5 de septiembre de 2023, aprobamos su Formulario I-130, Petición de " +
			"Familiar Extranjero.",
		History: []wireHistory{{Date: "2023-09-05",
			TextEN: "We approved your Form I-130, Petition for Alien Relative.",
			TextES: "Aprobamos su Formulario I-130, Petición de Familiar Extranjero."}},
	}
}

// expand turns the list into receipt → position.
func expand(items ...string) map[string]int {
	m := map[string]int{}
	for _, it := range items {
		first, last, ok := strings.Cut(it, "-")
		if !ok {
			m[it] = len(m)
			continue
		}
		lo, _ := strconv.Atoi(first[len(first)-len(last):])
		hi, _ := strconv.Atoi(last)
		stem := first[:len(first)-len(last)]
		for n := lo; n <= hi; n++ {
			m[fmt.Sprintf("%s%0*d", stem, len(last), n)] = len(m)
		}
	}
	return m
}

func keys(m map[string]int) []string {
	out := make([]string, len(m))
	for k, i := range m {
		out[i] = k
	}
	return out
}
