package server

import "github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"

// WebhookBackend is the domain service behind the Webhook API; it is not built yet.
type WebhookBackend interface{}

// webhookService answers Unimplemented until its feature lands.
type webhookService struct {
	casewirev1connect.UnimplementedWebhookServiceHandler
	s *Server
}
