package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"connectrpc.com/connect"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"
	"github.com/casewire/casewire/receipt"
)

// receiptsCmd groups the receipt commands.
type receiptsCmd struct {
	Import receiptsImportCmd `cmd:"" help:"Track every receipt number in a CSV or text file."`
}

// receiptsImportCmd tracks the receipts of a file through the API. A CSV file has a header
// with a receipt column (receipt, receipt_number or "receipt number") and optional matter,
// labels and reference columns; any other file is read as free text and every receipt
// number in it is tracked. Bad rows are reported on stderr with their line; the good ones
// are tracked, and the command fails at the end if any row was rejected.
type receiptsImportCmd struct {
	File      string `arg:"" help:"CSV or text file; - reads standard input."`
	Server    string `name:"server" env:"CASEWIRE_SERVER" required:"" help:"casewire API URL, e.g. http://127.0.0.1:8080."`
	Key       string `name:"key" env:"CASEWIRE_API_KEY" required:"" help:"API key with write scope."`
	BatchSize int    `name:"batch-size" default:"1000" help:"Receipts per BatchTrackReceipts call (at most 10000)."`
}

// importRow is one receipt to track and the line it came from.
type importRow struct {
	line int
	req  *casewirev1.TrackReceiptRequest
}

// Run reads the file, tracks its receipts in batches and prints a summary.
func (c *receiptsImportCmd) Run(a *app) error {
	if c.BatchSize < 1 || c.BatchSize > 10000 {
		return errors.New("import: --batch-size must be between 1 and 10000")
	}
	data, err := c.read(a)
	if err != nil {
		return err
	}
	rows, bad := parseImport(data, a.stderr)
	client := casewirev1connect.NewReceiptServiceClient(http.DefaultClient,
		strings.TrimRight(c.Server, "/"), connect.WithInterceptors(bearerKey(c.Key)))
	bar := newImportBar(a.stderr, len(rows))
	tracked, created, rejected, err := c.track(a.ctx, client, rows, a.stderr, bar)
	if err != nil {
		return err
	}
	bad += rejected
	fmt.Fprintf(a.stdout, "tracked %d receipts (%d new); %d rows rejected\n", tracked, created, bad)
	if bad > 0 {
		return fmt.Errorf("import: %d rows rejected", bad)
	}
	return nil
}

func (c *receiptsImportCmd) read(a *app) ([]byte, error) {
	if c.File == "-" {
		return io.ReadAll(a.stdin)
	}
	data, err := os.ReadFile(c.File)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return data, nil
}

// track sends the rows in batches and reports the rows the server rejects.
func (c *receiptsImportCmd) track(ctx context.Context, client casewirev1connect.ReceiptServiceClient, rows []importRow, stderr io.Writer, bar *progressbar.ProgressBar) (tracked, created, rejected int, err error) {
	for start := 0; start < len(rows); start += c.BatchSize {
		batch := rows[start:min(start+c.BatchSize, len(rows))]
		reqs := make([]*casewirev1.TrackReceiptRequest, len(batch))
		for i, r := range batch {
			reqs[i] = r.req
		}
		res, err := client.BatchTrackReceipts(ctx, connect.NewRequest(
			&casewirev1.BatchTrackReceiptsRequest{Receipts: reqs}))
		if err != nil {
			return tracked, created, rejected, fmt.Errorf("import: %w", err)
		}
		for _, e := range res.Msg.GetErrors() {
			fmt.Fprintf(stderr, "line %d: %s: %s\n", batch[e.GetIndex()].line, e.GetField(), e.GetReason())
		}
		tracked += len(res.Msg.GetReceipts())
		created += int(res.Msg.GetCreatedCount())
		rejected += len(res.Msg.GetErrors())
		if bar != nil {
			_ = bar.Add(len(batch))
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	return tracked, created, rejected, nil
}

// newImportBar shows progress only when stderr is a terminal.
func newImportBar(stderr io.Writer, n int) *progressbar.ProgressBar {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("tracking"), progressbar.OptionShowCount())
}

// parseImport reads CSV with a receipt column, or else free text. It reports bad and
// repeated rows on w and returns the rows to track and the count of bad ones.
func parseImport(data []byte, w io.Writer) ([]importRow, int) {
	if rows, bad, ok := parseCSV(data, w); ok {
		return rows, bad
	}
	var rows []importRow
	for _, f := range receipt.Unique(receipt.Find(string(data))) {
		rows = append(rows, importRow{line: f.Line,
			req: &casewirev1.TrackReceiptRequest{ReceiptNumber: f.Number.Value}})
	}
	return rows, 0
}

// csvColumns maps the header names the import accepts to fields.
var csvColumns = map[string]string{
	"receipt":          "receipt",
	"receipt_number":   "receipt",
	"receipt number":   "receipt",
	"receiptnumber":    "receipt",
	"matter":           "matter",
	"matter_id":        "matter",
	"matter id":        "matter",
	"label":            "labels",
	"labels":           "labels",
	"reference":        "reference",
	"client_reference": "reference",
	"client reference": "reference",
}

// parseCSV reads data as CSV when its first line is a header naming a receipt column.
func parseCSV(data []byte, w io.Writer) ([]importRow, int, bool) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, 0, false
	}
	cols := map[string]int{}
	for i, h := range header {
		if f, ok := csvColumns[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))]; ok {
			cols[f] = i
		}
	}
	if _, ok := cols["receipt"]; !ok {
		return nil, 0, false
	}
	var rows []importRow
	bad := 0
	seen := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, bad, true
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			fmt.Fprintf(w, "line %d: %v\n", line, err)
			bad++
			continue
		}
		row, reason := csvRow(rec, cols)
		if reason == "" {
			if first, dup := seen[row.ReceiptNumber]; dup {
				fmt.Fprintf(w, "line %d: duplicate of line %d, skipped\n", line, first)
				continue
			}
			seen[row.ReceiptNumber] = line
			rows = append(rows, importRow{line: line, req: row})
			continue
		}
		fmt.Fprintf(w, "line %d: %s\n", line, reason)
		bad++
	}
}

// csvRow builds a request from a record, or says why the record is bad.
func csvRow(rec []string, cols map[string]int) (*casewirev1.TrackReceiptRequest, string) {
	cell := func(name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	n, err := receipt.Parse(cell("receipt"))
	if err != nil {
		return nil, "receipt_number: " + strings.TrimPrefix(err.Error(), "receipt number ")
	}
	req := &casewirev1.TrackReceiptRequest{ReceiptNumber: n.Value, MatterId: cell("matter"),
		ClientReference: cell("reference")}
	for _, l := range strings.FieldsFunc(cell("labels"), func(r rune) bool { return r == ';' || r == '|' }) {
		if l = strings.TrimSpace(l); l != "" {
			req.Labels = append(req.Labels, l)
		}
	}
	return req, ""
}

// bearerKey adds the API key to every request.
type bearerKey string

func (b bearerKey) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+string(b))
		return next(ctx, req)
	}
}

func (b bearerKey) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (b bearerKey) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
