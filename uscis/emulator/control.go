package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// CaseScript sets a receipt's current status through PUT /_emulator/cases/{receipt}. A
// scripted case overrides the sandbox and synthetic answers for that receipt.
type CaseScript struct {
	Title         string `json:"title"`
	Description   string `json:"description"`
	FormType      string `json:"formType"`
	TitleES       string `json:"title_es,omitempty"`
	DescriptionES string `json:"description_es,omitempty"`
	// History is sent as given; absent or null is answered as null, [] as [].
	History []ScriptHistory `json:"history,omitempty"`
	// ModifiedDate and SubmittedDate are sent as given (`MM-DD-YYYY HH:mm:ss`); an empty
	// ModifiedDate is the emulated time of the PUT.
	ModifiedDate  string `json:"modifiedDate,omitempty"`
	SubmittedDate string `json:"submittedDate,omitempty"`
}

// ScriptHistory is one history entry of a CaseScript.
type ScriptHistory struct {
	Date   string `json:"date"`
	TextEN string `json:"completed_text_en"`
	TextES string `json:"completed_text_es,omitempty"`
}

type scriptedCase struct {
	c     wireCase
	setAt []time.Time
}

// SetCase scripts rn's current status, as PUT /_emulator/cases/{receipt} does.
func (e *Emulator) SetCase(rn string, s CaseScript) {
	now := e.Now()
	if s.ModifiedDate == "" {
		s.ModifiedDate = stamp(now)
	}
	c := wireCase{ReceiptNumber: rn, FormType: s.FormType, SubmittedDate: s.SubmittedDate,
		ModifiedDate: s.ModifiedDate, TextEN: s.Title, DescEN: s.Description, TextES: s.TitleES,
		DescES: s.DescriptionES}
	if s.History != nil {
		c.History = make([]wireHistory, 0, len(s.History))
		for _, h := range s.History {
			c.History = append(c.History, wireHistory(h))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	sc := e.scripted[rn]
	sc.c, sc.setAt = c, append(sc.setAt, now)
	e.scripted[rn] = sc
}

// lookup finds rn's answer at emulated time now: scripted, sandbox, then synthetic.
func (e *Emulator) lookup(rn string, now time.Time) (wireCase, bool) {
	e.mu.Lock()
	sc, ok := e.scripted[rn]
	e.mu.Unlock()
	if ok {
		return sc.c, true
	}
	if c, ok := sandboxCase(rn); ok {
		return c, true
	}
	if IsSynthetic(rn) {
		return e.syntheticCase(rn, now)
	}
	return wireCase{}, false
}

func (e *Emulator) getFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, e.currentFaults())
}

func (e *Emulator) putFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	e.SetFaults(f)
	writeJSON(w, http.StatusOK, e.currentFaults())
}

func (e *Emulator) deleteFaults(w http.ResponseWriter, _ *http.Request) {
	e.SetFaults(Faults{})
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) getCase(w http.ResponseWriter, r *http.Request) {
	c, ok := e.lookup(r.PathValue("receipt"), e.Now())
	if !ok {
		writeBody(w, http.StatusNotFound, "application/json", body404)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (e *Emulator) putCase(w http.ResponseWriter, r *http.Request) {
	rn := r.PathValue("receipt")
	var s CaseScript
	err := json.NewDecoder(r.Body).Decode(&s)
	switch {
	case !wellFormed.MatchString(rn):
		writeBody(w, http.StatusUnprocessableEntity, "application/json", body422)
		return
	case err != nil || strings.TrimSpace(s.Title) == "":
		writeJSON(w, http.StatusBadRequest,
			map[string]string{"message": "a JSON body with a title is required"})
		return
	}
	e.SetCase(rn, s)
	e.getCase(w, r)
}

func (e *Emulator) deleteCase(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	delete(e.scripted, r.PathValue("receipt"))
	e.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}
