package server

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"
	"github.com/casewire/casewire/schedule"
)

// UpstreamBackend reports how casewire stands with USCIS; *schedule.Monitor is one. The
// answer is the same for every tenant: the credentials, the pace and the daily quota are
// shared by all of them.
type UpstreamBackend interface {
	Status(ctx context.Context) (schedule.Status, error)
}

// upstreamService answers the USCIS connection's state.
type upstreamService struct {
	casewirev1connect.UnimplementedUpstreamServiceHandler
	s *Server
}

// GetUpstreamStatus answers credentials, quota, pace and backlog. It needs read scope.
func (u *upstreamService) GetUpstreamStatus(ctx context.Context,
	_ *connect.Request[casewirev1.GetUpstreamStatusRequest],
) (*connect.Response[casewirev1.GetUpstreamStatusResponse], error) {
	b := u.s.opts.Upstream
	if b == nil {
		return nil, connect.NewError(connect.CodeUnimplemented,
			errors.New("the upstream status is not available on this server"))
	}
	st, err := b.Status(ctx)
	if err != nil {
		u.s.log.ErrorContext(ctx, "upstream status", "error", err)
		return nil, connect.NewError(connect.CodeInternal, errors.New("reading the upstream status failed"))
	}
	h := st.Health
	return connect.NewResponse(&casewirev1.GetUpstreamStatusResponse{
		CredentialsOk:           st.Configured && h.CredentialsOK,
		LastAuthError:           h.LastAuthError,
		LastAuthErrorTime:       timestamp(h.FailingSince),
		ConsecutiveAuthFailures: int32(h.ConsecutiveAuthFailures),
		QuotaUsed:               int64(h.QuotaUsed),
		QuotaLimit:              int64(h.QuotaLimit),
		QuotaResetTime:          timestamp(h.QuotaResetsAt),
		RequestsPerSecond:       st.RequestsPerSecond,
		Backlog:                 st.Backlog,
		OldestDueTime:           timestamp(st.OldestDue),
		TrackedReceipts:         st.Tracked,
	}), nil
}

// timestamp is nil for the zero time.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
