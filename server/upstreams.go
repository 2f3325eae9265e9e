package server

import "github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"

// UpstreamBackend is the domain service behind the Upstream API; it is not built yet.
type UpstreamBackend interface{}

// upstreamService answers Unimplemented until its feature lands.
type upstreamService struct {
	casewirev1connect.UnimplementedUpstreamServiceHandler
	s *Server
}
