package deliver

import (
	"math/rand/v2"
	"time"
)

// Schedule is the wait before each retry of a failed delivery: Schedule[i] follows the
// (i+1)th failed attempt. When it runs out the delivery fails. Each wait is jittered by up
// to a fifth either way so that many failures do not retry in step.
type Schedule []time.Duration

// DefaultSchedule retries 12 times over about 68 hours (roughly three days), 13 attempts
// in all: 5s, 1m, 5m, 30m, 1h, 2h, 4h, 8h, 12h, 12h, 12h, 16h.
var DefaultSchedule = Schedule{
	5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, time.Hour,
	2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 12 * time.Hour,
	12 * time.Hour, 16 * time.Hour,
}

// Next returns the wait after the given number of failed attempts, and false when no
// retry remains.
func (s Schedule) Next(failed int) (time.Duration, bool) {
	if failed < 1 || failed > len(s) {
		return 0, false
	}
	d := s[failed-1]
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d)), true
}

// Total is the nominal time from the first attempt to the last.
func (s Schedule) Total() time.Duration {
	var t time.Duration
	for _, d := range s {
		t += d
	}
	return t
}

// maxRetryAfter caps a receiver's Retry-After, so a wrong header cannot park a delivery
// past the retry window.
const maxRetryAfter = 6 * time.Hour
