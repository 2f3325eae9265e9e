package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/casewire/casewire/ent"
)

// invalid answers InvalidArgument naming the field and the reason, with the same in a
// BadRequest detail for clients that read details.
func invalid(field, reason string) *connect.Error {
	err := connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("%s: %s", field, reason))
	detail, derr := connect.NewErrorDetail(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: reason}},
	})
	if derr == nil {
		err.AddDetail(detail)
	}
	return err
}

// notFound answers NotFound for a resource of the caller's tenant that does not exist, and
// identically for one that belongs to another tenant.
func notFound(what string) *connect.Error {
	return connect.NewError(connect.CodeNotFound, fmt.Errorf("%s not found", what))
}

// tooManyRequests answers ResourceExhausted with a hint of when to try again.
func tooManyRequests(retry time.Duration) *connect.Error {
	err := connect.NewError(connect.CodeResourceExhausted,
		fmt.Errorf("rate limit for this API key exceeded; retry in %s", retry.Round(time.Millisecond)))
	if detail, derr := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)}); derr == nil {
		err.AddDetail(detail)
	}
	err.Meta().Set("Retry-After", fmt.Sprint(int(retry.Seconds())+1))
	return err
}

// mapErrors turns errors that are not already RPC errors into codes, so a handler may
// return a storage error as it is. Unexpected errors are logged and answered without their
// text, which may name internals.
type mapErrors struct{ s *Server }

func (m mapErrors) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		return res, m.s.mapError(ctx, err)
	}
}

func (m mapErrors) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (m mapErrors) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		return m.s.mapError(ctx, next(ctx, conn))
	}
}

func (s *Server) mapError(ctx context.Context, err error) error {
	var cerr *connect.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &cerr):
		return err
	case ent.IsNotFound(err):
		return notFound("resource")
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, err)
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, err)
	case ent.IsConstraintError(err):
		return connect.NewError(connect.CodeAlreadyExists, errors.New("conflicts with an existing resource"))
	}
	s.log.ErrorContext(ctx, "request failed", "procedure", callFrom(ctx).procedure, "error", err)
	return connect.NewError(connect.CodeInternal, errors.New("internal error"))
}

// Page sizes.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// page reads a page size and an opaque page token, which holds the id a page continues
// after.
func page(size int32, token string) (int, string, error) {
	switch {
	case size < 0:
		return 0, "", invalid("page_size", "must not be negative")
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		size = maxPageSize
	}
	if token == "" {
		return int(size), "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	after, ok := strings.CutPrefix(string(raw), pageTokenPrefix)
	if err != nil || !ok || after == "" || len(raw) > 128 || !utf8.ValidString(after) {
		return 0, "", invalid("page_token", "is not a token from an earlier answer")
	}
	return int(size), after, nil
}

// pageTokenPrefix marks and versions the page tokens of list methods, so a made-up or
// foreign token is refused rather than read as an id.
const pageTokenPrefix = "p1:"

// nextPage trims a result fetched with one extra row and returns the token of the next
// page, empty when there is none.
func nextPage[T any](rows []T, size int, id func(T) string) ([]T, string) {
	if len(rows) <= size {
		return rows, ""
	}
	rows = rows[:size]
	return rows, base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + id(rows[len(rows)-1])))
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func tsp(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// maskPaths reads an update mask. An empty mask means every updatable field; an unknown
// path is refused by name.
func maskPaths(paths []string, allowed ...string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(paths) == 0 {
		for _, a := range allowed {
			out[a] = true
		}
		return out, nil
	}
	for _, p := range paths {
		ok := false
		for _, a := range allowed {
			if p == a {
				ok = true
			}
		}
		if !ok {
			return nil, invalid("update_mask", fmt.Sprintf("%q cannot be updated; use one of %v", p, allowed))
		}
		out[p] = true
	}
	return out, nil
}
