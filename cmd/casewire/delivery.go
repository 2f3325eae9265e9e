package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/casewire/casewire/deliver"
	"github.com/casewire/casewire/detect"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/secretbox"
	"github.com/casewire/casewire/server"
	"github.com/casewire/casewire/store"
)

// deliveryFlags configure webhook delivery and the encryption of secrets at rest; serve
// embeds them. startDelivery keeps the running service for the outbox and the API.
type deliveryFlags struct {
	EncryptionKey         string        `name:"encryption-key" help:"Keys that encrypt secrets at rest, 'id:base64' separated by commas, first seals (prefer CASEWIRE_ENCRYPTION_KEY). Empty: --encryption-key-file, else a key file made in --data-dir."`
	EncryptionKeyFile     string        `name:"encryption-key-file" type:"path" help:"File of encryption keys, one 'id:base64' per line, first seals."`
	AllowInsecureWebhooks bool          `name:"allow-insecure-webhooks" help:"Allow http webhook URLs and private or loopback addresses (development and tests only)."`
	WebhookTimeout        time.Duration `name:"webhook-timeout" default:"15s" help:"Time a webhook endpoint has to answer 2xx."`
	WebhookDisableAfter   time.Duration `name:"webhook-disable-after" default:"120h" help:"Disable an endpoint that has had no successful delivery for this long."`
	WebhookWorkers        int           `name:"webhook-workers" default:"100" help:"Concurrent webhook deliveries of this process."`
	WebhookPerEndpoint    int           `name:"webhook-per-endpoint" default:"8" help:"Concurrent deliveries to one endpoint from this process."`
	WebhookUntrustedRate  float64       `name:"webhook-untrusted-rate" default:"50" help:"Attempts a second this process starts, all together, to endpoints without a recent success."`

	svc *deliver.Service
}

// startDelivery opens the keyring, starts the delivery workers and returns the function
// that stops them, letting attempts in flight finish.
func (f *deliveryFlags) startDelivery(a *app, st *store.Store, dataDir string, reg prometheus.Registerer) (func(), error) {
	keys, err := secretbox.Load(secretbox.Source{Env: f.EncryptionKey,
		File: f.EncryptionKeyFile, DataDir: dataDir})
	if err != nil {
		return nil, err
	}
	f.svc, err = deliver.New(st, keys, deliver.Config{
		Timeout: f.WebhookTimeout, AllowInsecure: f.AllowInsecureWebhooks,
		DisableAfter: f.WebhookDisableAfter, Workers: f.WebhookWorkers,
		PerEndpoint: f.WebhookPerEndpoint, UntrustedRate: f.WebhookUntrustedRate,
		AppendEvent: appendSystemEvent, Logger: a.log, Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	if err := f.svc.Start(a.ctx); err != nil {
		return nil, err
	}
	if f.AllowInsecureWebhooks {
		a.log.Warn("insecure webhooks allowed: http and private addresses are reachable")
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), f.WebhookTimeout+5*time.Second)
		defer cancel()
		if err := f.svc.Stop(ctx); err != nil {
			a.log.Warn("webhook delivery stopped uncleanly", "error", err)
		}
	}, nil
}

// outbox is where change detection writes delivery jobs; nil before startDelivery.
func (f *deliveryFlags) outbox() detect.Outbox {
	if f.svc == nil {
		return nil
	}
	return f.svc
}

// webhooks is the Webhook API's backend; nil before startDelivery.
func (f *deliveryFlags) webhooks() server.WebhookBackend {
	if f.svc == nil {
		return nil
	}
	return f.svc
}

func appendSystemEvent(ctx context.Context, tx *store.Tx, tenant, typ, endpoint string) (*ent.Event, error) {
	return detect.AppendSystemEvent(ctx, tx, detect.SystemEvent{
		TenantID: tenant, Type: typ, WebhookEndpointID: endpoint})
}
