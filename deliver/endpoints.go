package deliver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/delivery"
	"github.com/casewire/casewire/ent/event"
	"github.com/casewire/casewire/ent/schema"
	"github.com/casewire/casewire/ent/webhookendpoint"
	"github.com/casewire/casewire/store"
	"github.com/casewire/casewire/webhook"
)

// Errors the API maps to codes.
var (
	// ErrNotFound means the endpoint or event does not exist for the tenant.
	ErrNotFound = errors.New("not found")
	// ErrDisabled means the command needs an enabled endpoint.
	ErrDisabled = errors.New("the endpoint is disabled")
)

// EndpointSpec is what a firm sets on an endpoint.
type EndpointSpec struct {
	URL         string
	Description string
	Filter      Filter
	Enabled     bool
}

// Fields of EndpointSpec an update may change.
const (
	FieldURL         = "url"
	FieldDescription = "description"
	FieldFilter      = "filter"
	FieldEnabled     = "enabled"
)

// CheckURL validates an endpoint URL as this service would at registration.
func (s *Service) CheckURL(ctx context.Context, raw string) error {
	return CheckURL(ctx, s.cfg.Resolver, raw, s.cfg.AllowInsecure)
}

// CreateEndpoint registers an endpoint and returns it with its new secret, which is shown
// only now.
func (s *Service) CreateEndpoint(ctx context.Context, tenantID string, spec EndpointSpec) (*ent.WebhookEndpoint, string, error) {
	if err := s.CheckURL(ctx, spec.URL); err != nil {
		return nil, "", err
	}
	id := schema.NewID("whe")
	secret, sealed, err := s.newSecret(id)
	if err != nil {
		return nil, "", err
	}
	row, err := s.st.Ent.WebhookEndpoint.Create().SetID(id).SetTenantID(tenantID).
		SetURL(spec.URL).SetDescription(spec.Description).SetFilterJSON(spec.Filter.JSON()).
		SetEnabled(spec.Enabled).SetSecret(sealed).Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("deliver: create endpoint: %w", err)
	}
	return row, secret, nil
}

func (s *Service) newSecret(endpointID string) (string, []byte, error) {
	secret, err := webhook.NewSecret()
	if err != nil {
		return "", nil, err
	}
	sealed, err := s.keys.Seal([]byte(secret), []byte(endpointID))
	if err != nil {
		return "", nil, err
	}
	return secret, sealed, nil
}

// Endpoint returns a live endpoint of the tenant.
func (s *Service) Endpoint(ctx context.Context, tenantID, id string) (*ent.WebhookEndpoint, error) {
	return endpoint(ctx, s.st.Ent, tenantID, id)
}

func endpoint(ctx context.Context, c *ent.Client, tenantID, id string) (*ent.WebhookEndpoint, error) {
	row, err := c.WebhookEndpoint.Query().Where(webhookendpoint.ID(id),
		webhookendpoint.TenantID(tenantID), webhookendpoint.DeleteTimeIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("webhook endpoint %s: %w", id, ErrNotFound)
	}
	return row, err
}

// UpdateEndpoint changes the named fields. Enabling a disabled endpoint clears its
// failure clock and resumes its paused deliveries.
func (s *Service) UpdateEndpoint(ctx context.Context, tenantID, id string, spec EndpointSpec, fields map[string]bool) (*ent.WebhookEndpoint, error) {
	if fields[FieldURL] {
		if err := s.CheckURL(ctx, spec.URL); err != nil {
			return nil, err
		}
	}
	var out *ent.WebhookEndpoint
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		row, err := endpoint(ctx, tx.Ent, tenantID, id)
		if err != nil {
			return err
		}
		upd := row.Update()
		if fields[FieldURL] {
			upd.SetURL(spec.URL)
		}
		if fields[FieldDescription] {
			upd.SetDescription(spec.Description)
		}
		if fields[FieldFilter] {
			upd.SetFilterJSON(spec.Filter.JSON())
		}
		resume := fields[FieldEnabled] && spec.Enabled && !row.Enabled
		if fields[FieldEnabled] {
			upd.SetEnabled(spec.Enabled).SetDisabledReason("")
		}
		if resume {
			upd.ClearFailingSinceTime()
		}
		s.cache.drop(id)
		if out, err = upd.Save(ctx); err != nil || !resume {
			return err
		}
		return s.resume(ctx, tx, out)
	})
	// Dropped again once committed: a worker may have cached the old row in between.
	s.cache.drop(id)
	return out, err
}

// DeleteEndpoint removes an endpoint and fails its pending deliveries.
func (s *Service) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		row, err := endpoint(ctx, tx.Ent, tenantID, id)
		if err != nil {
			return err
		}
		s.cache.drop(id)
		if err := row.Update().SetEnabled(false).SetDeleteTime(s.cfg.Now().UTC()).Exec(ctx); err != nil {
			return err
		}
		return tx.Ent.Delivery.Update().Where(delivery.EndpointID(id),
			delivery.StateIn(StatePending, StatePaused)).SetState(StateFailed).
			SetLastError("endpoint deleted").ClearNextAttemptTime().Exec(ctx)
	})
	s.cache.drop(id)
	return err
}

// RotateSecret gives the endpoint a new secret, returned only now. The old one keeps
// signing alongside it for overlap (0 ends it at once).
func (s *Service) RotateSecret(ctx context.Context, tenantID, id string, overlap time.Duration) (*ent.WebhookEndpoint, string, error) {
	row, err := s.Endpoint(ctx, tenantID, id)
	if err != nil {
		return nil, "", err
	}
	secret, sealed, err := s.newSecret(id)
	if err != nil {
		return nil, "", err
	}
	upd := row.Update().SetSecret(sealed)
	if overlap > 0 {
		upd.SetPreviousSecret(row.Secret).SetPreviousSecretExpireTime(s.cfg.Now().Add(overlap).UTC())
	} else {
		upd.ClearPreviousSecret().ClearPreviousSecretExpireTime()
	}
	row, err = upd.Save(ctx)
	s.cache.drop(id)
	if err != nil {
		return nil, "", fmt.Errorf("deliver: rotate secret: %w", err)
	}
	return row, secret, nil
}

// signingKeys returns the keys that sign the endpoint's deliveries now: its secret, and
// the previous one while the rotation overlap lasts.
func (s *Service) signingKeys(ep *ent.WebhookEndpoint) ([][]byte, error) {
	secrets := [][]byte{ep.Secret}
	if hasPrevious(ep) && ep.PreviousSecretExpireTime != nil &&
		s.cfg.Now().Before(*ep.PreviousSecretExpireTime) {
		secrets = append(secrets, *ep.PreviousSecret)
	}
	keys := make([][]byte, 0, len(secrets))
	for _, sealed := range secrets {
		plain, err := s.keys.Open(sealed, []byte(ep.ID))
		if err != nil {
			return nil, fmt.Errorf("deliver: endpoint %s secret: %w", ep.ID, err)
		}
		key, err := webhook.DecodeSecret(string(plain))
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// ReencryptSecrets seals again, under the keyring's primary key, every endpoint secret
// sealed by another key. It returns how many endpoints it changed.
func (s *Service) ReencryptSecrets(ctx context.Context) (int, error) {
	rows, err := s.st.Ent.WebhookEndpoint.Query().All(ctx)
	if err != nil {
		return 0, fmt.Errorf("deliver: endpoints: %w", err)
	}
	n := 0
	for _, row := range rows {
		stale := s.keys.Stale(row.Secret) || (hasPrevious(row) && s.keys.Stale(*row.PreviousSecret))
		if !stale {
			continue
		}
		if err := s.reseal(ctx, row); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Service) reseal(ctx context.Context, row *ent.WebhookEndpoint) error {
	aad := []byte(row.ID)
	again := func(sealed []byte) ([]byte, error) {
		plain, err := s.keys.Open(sealed, aad)
		if err != nil {
			return nil, fmt.Errorf("deliver: endpoint %s secret: %w", row.ID, err)
		}
		return s.keys.Seal(plain, aad)
	}
	cur, err := again(row.Secret)
	if err != nil {
		return err
	}
	upd := s.st.Ent.WebhookEndpoint.UpdateOneID(row.ID).Where(
		webhookendpoint.UpdateTime(row.UpdateTime)).SetSecret(cur)
	if hasPrevious(row) {
		prev, err := again(*row.PreviousSecret)
		if err != nil {
			return err
		}
		upd.SetPreviousSecret(prev)
	}
	s.cache.drop(row.ID)
	if err := upd.Exec(ctx); err != nil && !ent.IsNotFound(err) {
		return fmt.Errorf("deliver: re-encrypt: %w", err)
	}
	return nil
}

// Test records a test event for the endpoint and queues its delivery.
func (s *Service) Test(ctx context.Context, tenantID, id string) (*ent.Delivery, error) {
	if s.cfg.AppendEvent == nil {
		return nil, errors.New("deliver: no event log configured")
	}
	var out *ent.Delivery
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		ep, err := endpoint(ctx, tx.Ent, tenantID, id)
		if err != nil {
			return err
		}
		if !ep.Enabled {
			return ErrDisabled
		}
		ev, err := s.cfg.AppendEvent(ctx, tx, tenantID, typeTest, id)
		if err != nil {
			return err
		}
		if err := s.insert(ctx, tx, []outgoing{newDelivery(tx, ep, ev)}); err != nil {
			return err
		}
		out, err = tx.Ent.Delivery.Query().Where(delivery.EventID(ev.ID)).Only(ctx)
		return err
	})
	if err == nil && s.cfg.Notify != nil {
		s.cfg.Notify(tenantID)
	}
	return out, err
}

// Redeliver queues one more delivery of an event to the endpoint, whatever its filter.
func (s *Service) Redeliver(ctx context.Context, tenantID, endpointID, eventID string) (*ent.Delivery, error) {
	var out *ent.Delivery
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		ep, err := endpoint(ctx, tx.Ent, tenantID, endpointID)
		if err != nil {
			return err
		}
		ev, err := tx.Ent.Event.Query().
			Where(event.ID(eventID), event.TenantID(tenantID)).Only(ctx)
		if ent.IsNotFound(err) {
			return fmt.Errorf("event %s: %w", eventID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		c := newDelivery(tx, ep, ev)
		dID, _ := c.row.Mutation().ID()
		if err := s.insert(ctx, tx, []outgoing{c}); err != nil {
			return err
		}
		out, err = tx.Ent.Delivery.Get(ctx, dID)
		return err
	})
	return out, err
}

// replayBatch is how many events a replay reads at a time.
const replayBatch = 500

// Replay queues a delivery to the endpoint of every event observed at or after since that
// matches its filter, in feed order. It returns how many it queued.
func (s *Service) Replay(ctx context.Context, tenantID, endpointID string, since time.Time) (int, error) {
	n := 0
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		n = 0
		ep, err := endpoint(ctx, tx.Ent, tenantID, endpointID)
		if err != nil {
			return err
		}
		var after int64 = -1
		for {
			evs, err := tx.Ent.Event.Query().Where(event.TenantID(tenantID),
				event.ObserveTimeGTE(since.UTC()), event.FeedSeqGT(after)).
				Order(ent.Asc(event.FieldFeedSeq)).Limit(replayBatch).All(ctx)
			if err != nil || len(evs) == 0 {
				return err
			}
			var rows []outgoing
			for _, ev := range evs {
				if ev.Type != typeTest && matches(ep, ev) {
					rows = append(rows, newDelivery(tx, ep, ev))
				}
			}
			if err := s.insert(ctx, tx, rows); err != nil {
				return err
			}
			n += len(rows)
			after = evs[len(evs)-1].FeedSeq
		}
	})
	return n, err
}

// hasPrevious reports whether an endpoint holds a previous secret; a cleared column may
// read back as an empty value rather than nil.
func hasPrevious(ep *ent.WebhookEndpoint) bool {
	return ep.PreviousSecret != nil && len(*ep.PreviousSecret) > 0
}
