package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/matter"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
	"github.com/casewire/casewire/server"
	"github.com/casewire/casewire/server/servertest"
)

const createMatter = "casewire.v1.MatterService/CreateMatter"

// TestAuditIntentIsWrittenBeforeTheChange: while a mutation runs, its intent is already
// stored, so a process killed at that moment leaves a trace; when the call ends its entry
// takes the intent's id and place.
func TestAuditIntentIsWrittenBeforeTheChange(t *testing.T) {
	s := servertest.Start(t, nil)
	ctx := context.Background()
	var during []*ent.AuditIntent
	s.Store.Ent.Matter.Use(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			var err error
			if during, err = s.Store.Ent.AuditIntent.Query().All(ctx); err != nil {
				return nil, err
			}
			return next.Mutate(ctx, m)
		})
	})
	c := s.Clients(s.Key, "connect")
	res, err := c.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
		Matter: &casewirev1.Matter{Name: "Doe"}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(during) != 1 || during[0].Action != createMatter {
		t.Fatalf("intents while the matter was written: %v", during)
	}
	entries := auditOf(t, s, "CreateMatter")
	if len(entries) != 1 || entries[0].GetRequestId() != during[0].RequestID ||
		entries[0].GetOutcome() != "ok" || entries[0].GetResource() != res.Msg.GetMatter().GetId() {
		t.Fatalf("entries %v, want the call of intent %v", entries, during[0])
	}
	if n := s.Store.Ent.AuditIntent.Query().CountX(ctx); n != 0 {
		t.Fatalf("%d intents left after the call", n)
	}
}

// TestUnwritableAuditRefusesTheChange: a mutation whose intent cannot be stored is refused
// and makes no change.
func TestUnwritableAuditRefusesTheChange(t *testing.T) {
	s := servertest.Start(t, nil)
	ctx := context.Background()
	if _, err := s.Store.DB.ExecContext(ctx, "DROP TABLE audit_intents"); err != nil {
		t.Fatal(err)
	}
	c := s.Clients(s.Key, "connect")
	_, err := c.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
		Matter: &casewirev1.Matter{Name: "Doe"}}))
	wantCode(t, err, connect.CodeUnavailable)
	if n := s.Store.Ent.Matter.Query().Where(matter.Name("Doe")).CountX(ctx); n != 0 {
		t.Fatalf("%d matters made without an audit intent", n)
	}
}

// TestCutShortCallsBecomeEntriesOfUnknownOutcome: an intent that a stopped process left
// behind is listed, once it is older than any call runs, as an entry of unknown outcome
// with the time the call began; an intent of a call still running is not. It holds in any
// time zone of the process (SQLite compares stored times as text).
func TestCutShortCallsBecomeEntriesOfUnknownOutcome(t *testing.T) {
	for _, zone := range []*time.Location{time.UTC, time.FixedZone("JST", 9*3600),
		time.FixedZone("EST", -5*3600)} {
		t.Run(zone.String(), func(t *testing.T) {
			local := time.Local
			time.Local = zone
			defer func() { time.Local = local }()
			cutShort(t)
		})
	}
}

func cutShort(t *testing.T) {
	s := servertest.Start(t, nil)
	ctx := context.Background()
	began := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	s.Store.Ent.AuditIntent.Create().SetTenantID(s.TenantID).SetAction(createMatter).
		SetCreateTime(began).SetRequestID("req-cut").SaveX(ctx)
	s.Store.Ent.AuditIntent.Create().SetTenantID(s.TenantID).SetAction(createMatter).
		SetRequestID("req-running").SaveX(ctx)
	other, _ := s.NewTenant(t, "Other firm")
	s.Store.Ent.AuditIntent.Create().SetTenantID(other).SetAction(createMatter).
		SetCreateTime(began).SetRequestID("req-other").SaveX(ctx)

	for range 2 { // settling twice changes nothing
		entries := auditOf(t, s, "CreateMatter")
		if len(entries) != 1 {
			t.Fatalf("entries %v, want the cut-short call only", entries)
		}
		e := entries[0]
		if e.GetOutcome() != server.OutcomeUnknown || e.GetRequestId() != "req-cut" ||
			!e.GetCreateTime().AsTime().Equal(began) {
			t.Fatalf("entry %v, want req-cut of unknown outcome at %v", e, began)
		}
	}
	if n := s.Store.Ent.AuditIntent.Query().CountX(ctx); n != 2 {
		t.Fatalf("%d intents left, want the running call's and the other firm's", n)
	}
}

// TestACallThatOutlivesItsIntentKeepsItsOutcome: a call still running when its intent is
// taken for a cut-short one (it outlived intentTimeout) still writes its real outcome, so
// the log holds both entries and loses neither.
func TestACallThatOutlivesItsIntentKeepsItsOutcome(t *testing.T) {
	s := servertest.Start(t, nil)
	ctx := context.Background()
	c := s.Clients(s.Key, "connect")
	s.Store.Ent.Matter.Use(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			old := time.Now().Add(-time.Hour).UTC()
			if _, err := s.Store.DB.ExecContext(ctx, "UPDATE audit_intents SET create_time = $1", old); err != nil {
				return nil, err
			}
			if got := auditOf(t, s, "CreateMatter"); len(got) != 1 {
				return nil, fmt.Errorf("entries while the call runs: %v", got)
			}
			return next.Mutate(ctx, m)
		})
	})
	if _, err := c.Matters.CreateMatter(ctx, connect.NewRequest(&casewirev1.CreateMatterRequest{
		Matter: &casewirev1.Matter{Name: "Doe"}})); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range auditOf(t, s, "CreateMatter") {
		got = append(got, e.GetOutcome())
	}
	if strings.Join(got, " ") != "ok unknown" {
		t.Fatalf("outcomes, newest first: %v; want ok, then the settled unknown", got)
	}
}

func auditOf(t *testing.T, s *servertest.Server, action string) []*casewirev1.AuditEntry {
	t.Helper()
	res, err := s.Clients(s.Key, "connect").Audit.ListAuditEntries(context.Background(),
		connect.NewRequest(&casewirev1.ListAuditEntriesRequest{Action: action}))
	if err != nil {
		t.Fatal(err)
	}
	return res.Msg.GetAuditEntries()
}
