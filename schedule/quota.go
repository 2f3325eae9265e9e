package schedule

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/quotawindow"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/uscis"
)

// Quota is a uscis.QuotaStore on the QuotaWindow table: one row per quota window, its use
// incremented by one conditional UPDATE, so that every process on the database shares the
// count and it survives restarts.
type Quota struct {
	st *store.Store
}

// NewQuota returns a Quota on st.
func NewQuota(st *store.Store) *Quota { return &Quota{st: st} }

var _ uscis.QuotaStore = (*Quota)(nil)

// Reserve implements uscis.QuotaStore.
func (q *Quota) Reserve(ctx context.Context, window time.Time, limit int) (int, bool, error) {
	id := window.Unix()
	if err := ensureWindow(ctx, q.st, q.st.DB, id); err != nil {
		return 0, false, err
	}
	var used int
	err := q.st.DB.QueryRowContext(ctx, rebind(q.st.Dialect,
		"UPDATE quota_windows SET used = used + 1 WHERE id = ? AND used < ? RETURNING used"),
		id, limit).Scan(&used)
	if errors.Is(err, sql.ErrNoRows) {
		used, err = q.Used(ctx, window)
		return used, false, err
	}
	if err != nil {
		return 0, false, fmt.Errorf("schedule: reserve quota: %w", err)
	}
	return used, true, nil
}

// Used implements uscis.QuotaStore.
func (q *Quota) Used(ctx context.Context, window time.Time) (int, error) {
	w, err := q.st.Ent.QuotaWindow.Query().Where(quotawindow.ID(window.Unix())).Only(ctx)
	switch {
	case err == nil:
		return w.Used, nil
	case ent.IsNotFound(err):
		return 0, nil
	}
	return 0, fmt.Errorf("schedule: read quota: %w", err)
}

// execer is the part of *sql.DB and *sql.Tx that ensureWindow needs.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ensureWindow makes the row of window id if it is missing.
func ensureWindow(ctx context.Context, st *store.Store, db execer, id int64) error {
	_, err := db.ExecContext(ctx, rebind(st.Dialect,
		"INSERT INTO quota_windows (id, used) VALUES (?, 0) ON CONFLICT (id) DO NOTHING"), id)
	if err != nil {
		return fmt.Errorf("schedule: quota window: %w", err)
	}
	return nil
}

// Pacer is a uscis.Pacer shared by every process on the database. A caller first passes an
// in-process uscis.RatePacer, which orders this process's callers by priority, then takes
// the next global slot from the current QuotaWindow row (slot = max(now, next_slot_time),
// next_slot_time = slot + 1/rps, in one transaction) and sleeps until it.
type Pacer struct {
	st        *store.Store
	local     *uscis.RatePacer
	interval  time.Duration
	resetHour int
	now       func() time.Time
}

// NewPacer returns a Pacer handing out perSecond slots a second across all processes;
// resetHour names the quota window whose row holds the next slot.
func NewPacer(st *store.Store, perSecond float64, resetHour int) *Pacer {
	return &Pacer{
		st:        st,
		local:     uscis.NewRatePacer(perSecond),
		interval:  time.Duration(float64(time.Second) / perSecond),
		resetHour: resetHour,
		now:       time.Now,
	}
}

var _ uscis.Pacer = (*Pacer)(nil)

// Wait implements uscis.Pacer.
func (p *Pacer) Wait(ctx context.Context, pr uscis.Priority) error {
	if err := p.local.Wait(ctx, pr); err != nil {
		return err
	}
	slot, err := p.take(ctx)
	if err != nil {
		return err
	}
	d := slot.Sub(p.now())
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// take reserves the next global slot and returns its time.
func (p *Pacer) take(ctx context.Context) (time.Time, error) {
	now := p.now().UTC()
	id := uscis.QuotaWindow(now, p.resetHour).Unix()
	var slot time.Time
	err := p.st.InTx(ctx, func(tx *store.Tx) error {
		if err := ensureWindow(ctx, p.st, tx.SQL, id); err != nil {
			return err
		}
		if p.st.Dialect == dialect.Postgres {
			q := "SELECT id FROM quota_windows WHERE id = $1 FOR UPDATE"
			if _, err := tx.SQL.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		w, err := tx.Ent.QuotaWindow.Get(ctx, id)
		if err != nil {
			return err
		}
		slot = now
		if w.NextSlotTime != nil && w.NextSlotTime.After(now) {
			slot = w.NextSlotTime.UTC()
		}
		// A plain UPDATE: ent's UpdateOne would open a nested transaction on tx.
		_, err = tx.SQL.ExecContext(ctx, rebind(p.st.Dialect,
			"UPDATE quota_windows SET next_slot_time = ? WHERE id = ?"), slot.Add(p.interval), id)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("schedule: pace: %w", err)
	}
	return slot, nil
}

// rebind turns ? placeholders into $n for PostgreSQL.
func rebind(dia, q string) string {
	if dia != dialect.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
