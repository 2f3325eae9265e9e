package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's request counters. Labels are the procedure and the code only,
// never a tenant, key or receipt.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "casewire_rpc_requests_total",
			Help: "API requests by procedure and result code, on every protocol.",
		}, []string{"procedure", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "casewire_rpc_duration_seconds",
			Help:    "API request duration by procedure.",
			Buckets: prometheus.DefBuckets,
		}, []string{"procedure"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) observe(procedure, code string, d time.Duration) {
	m.requests.WithLabelValues(procedure, code).Inc()
	m.duration.WithLabelValues(procedure).Observe(d.Seconds())
}
