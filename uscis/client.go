package uscis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-retry"

	"github.com/casewire/casewire/receipt"
)

// Errors carried in Result.Err, for callers that branch with errors.Is.
var (
	// ErrUnauthorized: the token endpoint refused the credentials, or case-status refused
	// a freshly renewed token.
	ErrUnauthorized = errors.New("uscis: unauthorized")
	// ErrUnavailable: no usable answer (network error, timeout, 5xx, token endpoint down).
	ErrUnavailable = errors.New("uscis: unavailable")
	// ErrRateLimited: upstream answered 429 until the retries ran out.
	ErrRateLimited = errors.New("uscis: rate limited")
	// ErrQuotaExhausted: the daily budget for this priority is spent.
	ErrQuotaExhausted = errors.New("uscis: daily quota exhausted")
	// ErrBadFormat: the receipt failed local validation.
	ErrBadFormat = errors.New("uscis: receipt is not well formed")
)

// maxBody bounds how much of an answer is read.
const maxBody = 1 << 20

// Client fetches case statuses. It is safe for concurrent use; one Client per process
// shares one token, and the Pacer and QuotaStore decide whether pace and quota are shared
// with other processes.
type Client struct {
	cfg    Config
	log    *slog.Logger
	http   *http.Client
	tokens *tokens
	pacer  Pacer
	quota  QuotaStore
	now    func() time.Time
	m      *metrics
	health *healthState
}

// New returns a Client for cfg. Zero fields of cfg take their defaults.
func New(cfg Config, opts Options) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	transport := opts.Transport
	if transport == nil {
		transport = http.DefaultTransport
	}
	c := &Client{
		cfg:   cfg,
		log:   opts.Logger,
		http:  &http.Client{Transport: transport, Timeout: cfg.Timeout},
		pacer: opts.Pacer,
		quota: opts.Quota,
		now:   opts.Now,
		m:     newMetrics(opts.Registerer),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.pacer == nil {
		c.pacer = NewRatePacer(cfg.RequestsPerSecond)
	}
	if c.quota == nil {
		c.quota = NewMemoryQuota()
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.tokens = newTokens(cfg, c.http)
	c.health = &healthState{}
	return c, nil
}

// Fetch asks USCIS for the status of receiptNumber. A receipt that fails validation gives
// KindBadFormat without any request. Transient faults are retried with exponential backoff
// and jitter; every attempt spends one slot of pace and one unit of quota. Fetch never
// returns KindStatus for anything but a well-formed 200 answer.
func (c *Client) Fetch(ctx context.Context, receiptNumber string, p Priority) Result {
	n, err := receipt.Parse(receiptNumber)
	if err == nil && !n.Fetchable() {
		err = errors.New("not fetchable")
	}
	if err != nil {
		res := Result{Kind: KindBadFormat, Err: fmt.Errorf("%w: %w", ErrBadFormat, err)}
		c.record(res)
		return res
	}
	res := c.fetch(ctx, n.Value, p)
	c.record(res)
	return res
}

// fetch runs attempts under the retry policy.
func (c *Client) fetch(ctx context.Context, rn string, p Priority) Result {
	var res Result
	attempts := 0
	b := retry.WithMaxRetries(uint64(c.cfg.MaxRetries), retry.WithCappedDuration(c.cfg.RetryMax,
		retry.WithJitterPercent(25, retry.NewExponential(c.cfg.RetryBase))))
	err := retry.Do(ctx, b, func(ctx context.Context) error {
		var again bool
		res, again = c.attemptRenewing(ctx, rn, p, &attempts)
		if again {
			return retry.RetryableError(res.Err)
		}
		return nil
	})
	res.Attempts = attempts
	if res.Kind == 0 {
		res = Result{Kind: KindUnavailable, Err: fmt.Errorf("%w: %w", ErrUnavailable, err)}
	}
	return res
}

// attemptRenewing makes one attempt; when case-status refuses the token it drops the
// token, fetches a new one and tries once more. It reports whether the outcome is transient.
func (c *Client) attemptRenewing(ctx context.Context, rn string, p Priority,
	n *int) (Result, bool) {
	res, tok, again := c.attempt(ctx, rn, p, n)
	if res.Kind != KindUnauthorized || res.HTTPStatus != http.StatusUnauthorized {
		return res, again
	}
	c.tokens.invalidate(tok)
	res, _, again = c.attempt(ctx, rn, p, n)
	return res, again
}

// attempt spends quota and pace, then sends one request. It returns the result, the token
// it used and whether the outcome is transient.
func (c *Client) attempt(ctx context.Context, rn string, p Priority,
	n *int) (Result, string, bool) {
	if res, ok := c.reserve(ctx, p); !ok {
		return res, "", false
	}
	if err := c.pacer.Wait(ctx, p); err != nil {
		return Result{Kind: KindUnavailable, Err: fmt.Errorf("%w: pace: %w", ErrUnavailable, err)},
			"", false
	}
	tok, err := c.tokens.token()
	if err != nil {
		res, again := c.tokenFailure(err)
		return res, "", again
	}
	*n++
	res, again := c.do(ctx, rn, tok)
	return res, tok, again
}

// reserve takes one unit of quota for priority p.
func (c *Client) reserve(ctx context.Context, p Priority) (Result, bool) {
	window := QuotaWindow(c.now(), c.cfg.QuotaResetHour)
	limit := c.cfg.DailyQuota
	if p < PriorityRefresh {
		limit = c.cfg.routineLimit()
	}
	used, ok, err := c.quota.Reserve(ctx, window, limit)
	if err != nil {
		return Result{Kind: KindUnavailable, Err: fmt.Errorf("%w: quota store: %w", ErrUnavailable,
			err)}, false
	}
	c.health.noteQuota(window, used)
	c.m.quotaUsed.Set(float64(used))
	if !ok {
		err := fmt.Errorf("%w: %d of %d used for %s", ErrQuotaExhausted, used, limit, p)
		return Result{Kind: KindQuotaExhausted, Err: err}, false
	}
	return Result{}, true
}

// tokenFailure turns a token error into a result, with the secret scrubbed from its text.
func (c *Client) tokenFailure(err error) (Result, bool) {
	text := scrub(err.Error(), c.cfg.ClientSecret)
	if authRefused(err) {
		return Result{Kind: KindUnauthorized, Err: fmt.Errorf("%w: token: %s", ErrUnauthorized, text)},
			false
	}
	return Result{Kind: KindUnavailable, Err: fmt.Errorf("%w: token: %s", ErrUnavailable, text)}, true
}

// do sends one GET and classifies the answer.
func (c *Client) do(ctx context.Context, rn, tok string) (Result, bool) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := strings.TrimRight(c.cfg.BaseURL, "/") + "/case-status/" + url.PathEscape(rn)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Result{Kind: KindMalformed, Err: fmt.Errorf("uscis: request: %w", err)}, false
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.observe("error", start)
		return Result{Kind: KindUnavailable, Err: fmt.Errorf("%w: %v", ErrUnavailable,
			redactURL(err))}, true
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	c.observe(strconv.Itoa(resp.StatusCode), start)
	if err != nil {
		return Result{Kind: KindUnavailable, HTTPStatus: resp.StatusCode,
			Err: fmt.Errorf("%w: reading body: %v", ErrUnavailable, redactURL(err))}, true
	}
	return classify(rn, resp.StatusCode, body)
}

func (c *Client) observe(code string, start time.Time) {
	c.m.attempts.WithLabelValues(code).Inc()
	c.m.latency.Observe(time.Since(start).Seconds())
}

// classify maps one answer to a result and whether it is transient.
func classify(rn string, status int, body []byte) (Result, bool) {
	if status == http.StatusOK {
		return classifyOK(rn, body)
	}
	u := ParseError(body)
	res := Result{HTTPStatus: status, Message: u.Message}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		res.Kind, res.Err = KindUnauthorized, fmt.Errorf("%w: HTTP %d: %s", ErrUnauthorized, status,
			u.Message)
	case status == http.StatusNotFound && !u.NotJSON && !u.Empty:
		res.Kind = KindNotFound
	case status == http.StatusTooManyRequests:
		res.Kind, res.Err = KindRateLimited, fmt.Errorf("%w: %s", ErrRateLimited, u.Message)
		return res, true
	case status >= 500:
		res.Kind, res.Err = KindUnavailable, fmt.Errorf("%w: HTTP %d: %s", ErrUnavailable, status,
			u.Message)
		return res, true
	case status == http.StatusUnprocessableEntity:
		res.Kind, res.Err = KindMalformed, fmt.Errorf("%w: upstream refused the format of a "+
			"locally valid receipt", ErrMalformed)
	default:
		res.Kind, res.Err = KindMalformed, fmt.Errorf("%w: unexpected HTTP %d", ErrMalformed, status)
	}
	return res, false
}

// classifyOK reads a 200 answer. A body that is not JSON at all (an HTML page, a truncated
// object) is transient; valid JSON of the wrong shape is not.
func classifyOK(rn string, body []byte) (Result, bool) {
	res := Result{HTTPStatus: http.StatusOK}
	s, err := ParseStatus(body)
	if err != nil {
		res.Kind, res.Err = KindMalformed, err
		return res, !json.Valid(body)
	}
	if s.ReceiptNumber != "" && !strings.EqualFold(s.ReceiptNumber, rn) {
		res.Kind, res.Err = KindMalformed, fmt.Errorf("%w: answer is for another receipt", ErrMalformed)
		return res, false
	}
	res.Kind, res.Message, res.Status = KindStatus, s.Message, s
	return res, false
}

// redactURL drops the URL, which names the receipt, from a transport error.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
