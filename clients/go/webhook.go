package casewire

import (
	"context"
	"net/http"

	"github.com/casewire/casewire/webhook"
)

// Webhook receivers' types, shared with the server's sender (package webhook).
type (
	// WebhookVerifier checks deliveries against one or more "whsec_" secrets.
	WebhookVerifier = webhook.Verifier
	// WebhookDelivery is a verified, decoded delivery.
	WebhookDelivery = webhook.Delivery
	// WebhookPayload is the JSON body of a delivery; its Event method decodes the event.
	WebhookPayload = webhook.Payload
)

// Errors a webhook verification returns; branch on them with errors.Is.
var (
	ErrWebhookMissingHeaders = webhook.ErrMissingHeaders
	ErrWebhookTimestamp      = webhook.ErrTimestamp
	ErrWebhookSignature      = webhook.ErrSignature
	ErrWebhookSecret         = webhook.ErrSecret
)

// Delivery types a payload's Type may hold; ignore types you do not know.
const (
	WebhookTypeBaseline         = webhook.TypeBaseline
	WebhookTypeStatusChanged    = webhook.TypeStatusChanged
	WebhookTypeStatusUpdated    = webhook.TypeStatusUpdated
	WebhookTypeHistory          = webhook.TypeHistory
	WebhookTypeEndpointDisabled = webhook.TypeEndpointDisabled
	WebhookTypeTest             = webhook.TypeTest
)

// NewWebhookVerifier returns a verifier of the endpoint's secrets; list both the old and
// the new secret while a rotation overlaps.
func NewWebhookVerifier(secrets ...string) (*WebhookVerifier, error) {
	return webhook.NewVerifier(secrets...)
}

// VerifyWebhook checks one delivery's headers and raw body against secret with the default
// five-minute timestamp tolerance.
func VerifyWebhook(secret string, h http.Header, body []byte) error {
	v, err := webhook.NewVerifier(secret)
	if err != nil {
		return err
	}
	return v.Verify(h, body)
}

// WebhookHandler returns a handler that verifies each delivery with v, decodes it and
// passes it to fn. It answers 401 to a bad signature or timestamp, 400 to a body that is
// not a payload, 500 when fn fails (so casewire retries) and 204 when fn succeeds.
func WebhookHandler(
	v *WebhookVerifier, fn func(context.Context, *WebhookDelivery) error,
) http.Handler {
	return webhook.Handler(v, fn)
}
