package emulator

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"time"
)

// title is one row of the status reference table (wire/statuses.tsv, a copy of the
// project's reference data).
type title struct {
	es   string // Spanish title, "" when unknown
	desc string // example description with {DATE}, {FORM}, {RECEIPT}… placeholders
}

var titles = loadTitles(mustRead("statuses.tsv"))

func loadTitles(tsv []byte) map[string]title {
	m := map[string]title{}
	sc := bufio.NewScanner(bytes.NewReader(tsv))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 {
			continue
		}
		es, _, _ := strings.Cut(f[1], " (")
		m[f[0]] = title{es: strings.TrimSpace(es), desc: f[2]}
	}
	return m
}

// mustTitle returns a title that must be in the table; the emulator only speaks real titles.
func mustTitle(name string) title {
	t, ok := titles[name]
	if !ok {
		panic(fmt.Sprintf("emulator: title %q is not in statuses.tsv", name))
	}
	return t
}

// formNames are the long names descriptions use.
var formNames = map[string]string{
	"I-90":  "Form I-90, Application to Replace Permanent Resident Card",
	"I-129": "Form I-129, Petition for a Nonimmigrant Worker",
	"I-130": "Form I-130, Petition for Alien Relative",
	"I-131": "Form I-131, Application for Travel Document",
	"I-485": "Form I-485, Application to Register Permanent Residence or Adjust Status",
	"I-765": "Form I-765, Application for Employment Authorization",
	"N-400": "Form N-400, Application for Naturalization",
}

// describe fills a title's description for one case and date.
func describe(name, form, rn string, at time.Time) string {
	d := mustTitle(name).desc
	if d == "" {
		d = "On {DATE}, we updated the status of your {FORM}, Receipt Number {RECEIPT}. " +
			"If you move, go to www.uscis.gov/addresschange to give us your new mailing address."
	}
	long := formNames[form]
	if long == "" {
		long = "Form " + form
	}
	return strings.NewReplacer(
		"{DATE}", longDate(at),
		"{FORM}", long,
		"{FORM2}", "Form I-90, Application to Replace Permanent Resident Card",
		"{RECEIPT}", rn,
		"{OFFICE}", "National Benefits Center",
		"{DEADLINE}", longDate(at.AddDate(0, 0, 30)),
		"{TRACKING}", fmt.Sprintf("9205%018d", fnv64(rn)%1e18),
		"{VARIES}", "resend it",
	).Replace(d)
}

func longDate(t time.Time) string { return t.In(eastern).Format("January 2, 2006") }

// Date layouts of the wire.
const (
	layoutStamp = "01-02-2006 15:04:05"
	layoutDay   = "2006-01-02"
)

func stamp(t time.Time) string { return t.In(eastern).Format(layoutStamp) }
