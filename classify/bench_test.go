package classify

import "testing"

const benchDescription = "On May 1, 2024, we received your response to our Request for Evidence for " +
	"your Form I-485, Application to Register Permanent Residence or Adjust Status, Receipt Number " +
	"IOE0123456789. USCIS has begun working on your case again. We will send you a decision or " +
	"notify you if we need something from you. If you move, go to www.uscis.gov/addresschange to " +
	"give us your new mailing address."

// BenchmarkExact classifies a known title with an apostrophe entity and a real description.
func BenchmarkExact(b *testing.B) {
	c := Default()
	b.ReportAllocs()
	for b.Loop() {
		c.Classify("Response To USCIS&#39; Request For Evidence Was Received", benchDescription)
	}
}

// BenchmarkExactFormType is the exact path with USCIS's formType set, as the poller calls it.
func BenchmarkExactFormType(b *testing.B) {
	c := Default()
	b.ReportAllocs()
	for b.Loop() {
		c.ClassifyForm("Case Was Approved", benchDescription, "I-485")
	}
}

// BenchmarkPatternTitle classifies an unseen title that a title pattern labels.
func BenchmarkPatternTitle(b *testing.B) {
	c := Default()
	b.ReportAllocs()
	for b.Loop() {
		c.Classify("Response To Notice Of Intent To Deny Was Received", benchDescription)
	}
}

// BenchmarkPatternDescription classifies an unseen title that only its description labels.
func BenchmarkPatternDescription(b *testing.B) {
	c := Default()
	b.ReportAllocs()
	for b.Loop() {
		c.Classify("Case Status Update", benchDescription)
	}
}

// BenchmarkExactTable classifies every reference title in turn, without descriptions; one op is
// one title.
func BenchmarkExactTable(b *testing.B) {
	c := Default()
	table := readReference(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Classify(table[i].Title, "")
		if i++; i == len(table) {
			i = 0
		}
	}
}
