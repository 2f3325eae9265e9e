package emulator

import (
	"embed"
	"encoding/json"
	"net/http"
)

// wire holds copies of the upstream's recorded bodies and the status reference table.
//
//go:embed wire
var wire embed.FS

func mustRead(name string) []byte {
	b, err := wire.ReadFile("wire/" + name)
	if err != nil {
		panic(err)
	}
	return b
}

// Bodies the upstream is known to send, byte for byte.
var (
	body401      = mustRead("error-401.json")
	body404      = mustRead("error-404.json")
	body422      = mustRead("error-422.json")
	body429      = mustRead("error-429.json")
	body503Hours = mustRead("error-503-sandbox-offhours.txt")
)

// htmlPage is what a gateway or a maintenance window answers instead of JSON.
const htmlPage = "<!DOCTYPE html>\n<html><head><title>Scheduled Maintenance</title></head>" +
	"<body><h1>USCIS Case Status is temporarily unavailable</h1>" +
	"<p>Please try again later.</p></body></html>\n"

// wireCase is the case_status object, fields in the upstream's order. A nil History is
// sent as null, an empty one as [].
type wireCase struct {
	ReceiptNumber string        `json:"receiptNumber"`
	FormType      string        `json:"formType,omitempty"`
	SubmittedDate string        `json:"submittedDate,omitempty"`
	ModifiedDate  string        `json:"modifiedDate,omitempty"`
	TextEN        string        `json:"current_case_status_text_en"`
	DescEN        string        `json:"current_case_status_desc_en"`
	TextES        string        `json:"current_case_status_text_es,omitempty"`
	DescES        string        `json:"current_case_status_desc_es,omitempty"`
	History       []wireHistory `json:"hist_case_status"`
}

// wireHistory is one hist_case_status entry.
type wireHistory struct {
	Date   string `json:"date"`
	TextEN string `json:"completed_text_en"`
	TextES string `json:"completed_text_es,omitempty"`
}

type wireStatus struct {
	CaseStatus wireCase `json:"case_status"`
	Message    string   `json:"message"`
}

// wireToken is the Apigee-shaped token answer; numbers are strings, as upstream sends them.
type wireToken struct {
	RefreshTokenExpiresIn string `json:"refresh_token_expires_in"`
	APIProductList        string `json:"api_product_list"`
	OrganizationName      string `json:"organization_name"`
	TokenType             string `json:"token_type"`
	IssuedAt              string `json:"issued_at"`
	AccessToken           string `json:"access_token"`
	Scope                 string `json:"scope"`
	ExpiresIn             string `json:"expires_in"`
	Status                string `json:"status"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, "application/json", append(b, '\n'))
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
