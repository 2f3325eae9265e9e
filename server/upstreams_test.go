package server_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/schedule"
	"github.com/casewire/casewire/server"
	"github.com/casewire/casewire/server/servertest"
)

func TestGetUpstreamStatusBacklog(t *testing.T) {
	s := servertest.Start(t, func(o *server.Options) {
		o.Upstream = &schedule.Monitor{Store: o.Store, RequestsPerSecond: 10}
	})
	ctx := context.Background()
	now := time.Now().UTC()
	oldest := now.Add(-2 * time.Hour).Truncate(time.Second)
	rows := []struct {
		id       string
		trackers int
		next     time.Time
	}{
		{"EAC9000000001", 1, oldest},
		{"EAC9000000002", 2, now.Add(-time.Minute)},
		{"EAC9000000003", 1, now.Add(time.Hour)},
		{"EAC9000000004", 0, oldest.Add(-time.Hour)}, // untracked: not backlog
	}
	for _, r := range rows {
		err := s.Store.Ent.CaseState.Create().SetID(r.id).SetTrackers(r.trackers).
			SetNextCheckTime(r.next).Exec(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, protocol := range []string{"connect", "grpc"} {
		c := s.Clients(s.Key, protocol).Upstream
		res, err := c.GetUpstreamStatus(ctx, connect.NewRequest(&casewirev1.GetUpstreamStatusRequest{}))
		if err != nil {
			t.Fatalf("%s: %v", protocol, err)
		}
		m := res.Msg
		if m.GetBacklog() != 2 || m.GetTrackedReceipts() != 3 || m.GetRequestsPerSecond() != 10 {
			t.Errorf("%s: backlog %d tracked %d rps %v; want 2, 3, 10", protocol, m.GetBacklog(),
				m.GetTrackedReceipts(), m.GetRequestsPerSecond())
		}
		if !m.GetOldestDueTime().AsTime().Equal(oldest) {
			t.Errorf("%s: oldest due %v, want %v", protocol, m.GetOldestDueTime().AsTime(), oldest)
		}
		if m.GetCredentialsOk() {
			t.Errorf("%s: credentials reported ok without a USCIS client", protocol)
		}
	}
}
