package uscis

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config is what an operator sets for the upstream. Limits are configuration, never
// constants: the sandbox and production differ, and USCIS has changed them before.
// The secret never appears in String, LogValue or any error.
type Config struct {
	// BaseURL is the API root; requests go to {BaseURL}/case-status/{receipt}.
	BaseURL string
	// TokenURL is the OAuth 2.0 token endpoint.
	TokenURL string
	// ClientID and ClientSecret are the client-credentials pair.
	ClientID     string
	ClientSecret string
	// RequestsPerSecond is the global pace for case-status requests (default 10).
	RequestsPerSecond float64
	// DailyQuota is the number of case-status requests allowed per quota day (default 10000).
	DailyQuota int
	// QuotaResetHour is the UTC hour at which the quota day starts (default 0).
	QuotaResetHour int
	// RefreshReserve is the share of DailyQuota that routine polling may not use, kept for
	// firms' explicit refreshes (0 to 1; default 0.05).
	RefreshReserve float64
	// Timeout bounds one HTTP attempt (default 10s).
	Timeout time.Duration
	// MaxRetries is the number of retries after a transient fault (default 3; -1 for none).
	MaxRetries int
	// RetryBase is the first backoff delay, doubled on each retry, with jitter (default 500ms).
	RetryBase time.Duration
	// RetryMax caps one backoff delay (default 30s).
	RetryMax time.Duration
	// TokenRenewBefore renews a token this long before it expires (default 60s, and at most
	// a fifth of the token's lifetime).
	TokenRenewBefore time.Duration
}

// Options are the optional collaborators of a Client.
type Options struct {
	// Logger receives the credential alarm and lifecycle lines; nil discards them.
	Logger *slog.Logger
	// Registerer receives the client's metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// Pacer shares the pace between processes; nil uses a RatePacer at RequestsPerSecond.
	Pacer Pacer
	// Quota counts the daily budget durably; nil uses a MemoryQuota.
	Quota QuotaStore
	// Transport carries the HTTP requests; nil uses http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock for quota windows; nil uses time.Now.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultRequestsPerSecond = 10
	DefaultDailyQuota        = 10000
	DefaultRefreshReserve    = 0.05
	DefaultTimeout           = 10 * time.Second
	DefaultMaxRetries        = 3
	DefaultRetryBase         = 500 * time.Millisecond
	DefaultRetryMax          = 30 * time.Second
	DefaultTokenRenewBefore  = time.Minute
)

// ErrConfig reports an unusable Config.
var ErrConfig = errors.New("uscis: invalid config")

// withDefaults returns c with zero fields set to their defaults, or an error naming the
// first unusable field.
func (c Config) withDefaults() (Config, error) {
	if c.BaseURL == "" || c.TokenURL == "" || c.ClientID == "" {
		return c, fmt.Errorf("%w: BaseURL, TokenURL and ClientID are required", ErrConfig)
	}
	if c.QuotaResetHour < 0 || c.QuotaResetHour > 23 {
		return c, fmt.Errorf("%w: QuotaResetHour %d is not 0-23", ErrConfig, c.QuotaResetHour)
	}
	if c.RefreshReserve < 0 || c.RefreshReserve >= 1 {
		return c, fmt.Errorf("%w: RefreshReserve %v is not in [0,1)", ErrConfig, c.RefreshReserve)
	}
	def(&c.RequestsPerSecond, DefaultRequestsPerSecond)
	def(&c.DailyQuota, DefaultDailyQuota)
	def(&c.RefreshReserve, DefaultRefreshReserve)
	def(&c.Timeout, DefaultTimeout)
	def(&c.MaxRetries, DefaultMaxRetries)
	def(&c.RetryBase, DefaultRetryBase)
	def(&c.RetryMax, DefaultRetryMax)
	def(&c.TokenRenewBefore, DefaultTokenRenewBefore)
	if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	return c, nil
}

func def[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// routineLimit is the part of the daily quota routine polling may use.
func (c Config) routineLimit() int {
	return int(float64(c.DailyQuota) * (1 - c.RefreshReserve))
}

// String describes the config with the secret redacted.
func (c Config) String() string {
	return fmt.Sprintf("uscis.Config{BaseURL:%s TokenURL:%s ClientID:%s ClientSecret:%s "+
		"RequestsPerSecond:%v DailyQuota:%d QuotaResetHour:%d RefreshReserve:%v Timeout:%v "+
		"MaxRetries:%d}", c.BaseURL, c.TokenURL, c.ClientID, redact(c.ClientSecret),
		c.RequestsPerSecond, c.DailyQuota, c.QuotaResetHour, c.RefreshReserve, c.Timeout,
		c.MaxRetries)
}

// GoString is String, so that %#v redacts the secret too.
func (c Config) GoString() string { return c.String() }

// LogValue logs the config with the secret redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("token_url", c.TokenURL),
		slog.String("client_id", c.ClientID),
		slog.String("client_secret", redact(c.ClientSecret)),
		slog.Float64("requests_per_second", c.RequestsPerSecond),
		slog.Int("daily_quota", c.DailyQuota),
		slog.Int("quota_reset_hour", c.QuotaResetHour),
		slog.Float64("refresh_reserve", c.RefreshReserve),
		slog.Duration("timeout", c.Timeout),
		slog.Int("max_retries", c.MaxRetries),
	)
}

func redact(secret string) string {
	if secret == "" {
		return ""
	}
	return "[REDACTED]"
}
