package uscis

import "github.com/prometheus/client_golang/prometheus"

// metrics are the client's collectors. No label carries a receipt number.
type metrics struct {
	results      *prometheus.CounterVec
	attempts     *prometheus.CounterVec
	latency      prometheus.Histogram
	quotaUsed    prometheus.Gauge
	credentials  prometheus.Gauge
	authFailures prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "casewire", Subsystem: "uscis", Name: "fetch_results_total",
			Help: "Case-status fetches by result kind, after retries.",
		}, []string{"kind"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "casewire", Subsystem: "uscis", Name: "http_requests_total",
			Help: "HTTP requests to case-status by answer code (\"error\" when none came).",
		}, []string{"code"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "casewire", Subsystem: "uscis", Name: "http_request_duration_seconds",
			Help:    "Duration of one HTTP request to case-status.",
			Buckets: prometheus.ExponentialBuckets(0.025, 2, 10),
		}),
		quotaUsed: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "casewire", Subsystem: "uscis", Name: "quota_used",
			Help: "Requests counted in the current daily quota window.",
		}),
		credentials: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "casewire", Subsystem: "uscis", Name: "credentials_ok",
			Help: "1 while the API credentials work, 0 after they were refused.",
		}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "casewire", Subsystem: "uscis", Name: "auth_failures_total",
			Help: "Fetches that ended unauthorized: the credentials were refused after renewal.",
		}),
	}
	m.credentials.Set(1)
	if reg != nil {
		reg.MustRegister(m.results, m.attempts, m.latency, m.quotaUsed, m.credentials,
			m.authFailures)
	}
	return m
}
