package detect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/store"
)

// SystemEvent is a tenant event that no USCIS answer caused, such as a webhook endpoint
// being disabled.
type SystemEvent struct {
	TenantID string
	// Type is one of the Type constants, e.g. TypeEndpointDisabled.
	Type string
	// ReceiptNumber is optional; system events take no place on a receipt's timeline.
	ReceiptNumber     string
	WebhookEndpointID string
	// Time is the observe time; zero means now.
	Time time.Time
}

// AppendSystemEvent appends ev to the tenant's feed in tx, taking the next feed position.
// After the transaction commits, call Notifier.Notify so watchers see it at once; they
// also find it on their next periodic read.
func AppendSystemEvent(ctx context.Context, tx *store.Tx, ev SystemEvent) (*ent.Event, error) {
	if ev.TenantID == "" || ev.Type == "" {
		return nil, errors.New("detect: a system event needs a tenant and a type")
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	seq, err := nextFeedSeq(ctx, tx, ev.TenantID, 1)
	if err != nil {
		return nil, err
	}
	row, err := tx.Ent.Event.Create().SetTenantID(ev.TenantID).SetFeedSeq(seq).
		SetType(ev.Type).SetSource(string(SourceSystem)).SetObserveTime(ev.Time.UTC()).
		SetReceiptNumber(ev.ReceiptNumber).SetWebhookEndpointID(ev.WebhookEndpointID).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("detect: write system event: %w", err)
	}
	return row, nil
}
