package deliver

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of an attempt, the label of casewire_webhook_attempts_total.
const (
	resultSuccess   = "success"
	resultHTTPError = "http_error"
	resultTransport = "transport_error"
)

// metrics are what an operator watches of delivery: attempts by result and how long they
// took, how long the first delivery of an event takes end to end, deliveries that ran out
// of retries, and endpoints disabled.
type metrics struct {
	attempts *prometheus.CounterVec
	duration prometheus.Histogram
	lag      prometheus.Histogram
	failed   prometheus.Counter
	disabled prometheus.Counter
	requeued prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "casewire_webhook_attempts_total",
			Help: "Webhook delivery attempts, by result: success (2xx), http_error (any other answer) or transport_error (no answer).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "casewire_webhook_attempt_duration_seconds",
			Help:    "Time from sending a webhook delivery to its answer or failure.",
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 9),
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "casewire_webhook_first_delivery_lag_seconds",
			Help:    "Time from a delivery being written with its event to its first attempt succeeding.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 9),
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "casewire_webhook_deliveries_failed_total",
			Help: "Webhook deliveries that failed every attempt of the retry schedule.",
		}),
		disabled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "casewire_webhook_endpoints_disabled_total",
			Help: "Webhook endpoints disabled by delivery: a 410 Gone, or failing too long.",
		}),
		requeued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "casewire_webhook_deliveries_requeued_total",
			Help: "Pending webhook deliveries found without a job that could run them, and given a new one.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.attempts, m.duration, m.lag, m.failed, m.disabled, m.requeued)
	}
	return m
}

// observe counts one recorded attempt; written is when its delivery was written and first
// whether this was its first attempt.
func (m *metrics) observe(res result, written time.Time, first bool, now time.Time) {
	switch {
	case res.ok():
		m.attempts.WithLabelValues(resultSuccess).Inc()
		if first {
			m.lag.Observe(now.Sub(written).Seconds())
		}
	case res.status != 0:
		m.attempts.WithLabelValues(resultHTTPError).Inc()
	default:
		m.attempts.WithLabelValues(resultTransport).Inc()
	}
	m.duration.Observe(res.duration.Seconds())
}
