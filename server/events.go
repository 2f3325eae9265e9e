package server

import "github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"

// EventBackend is the domain service behind the Event API; it is not built yet.
type EventBackend interface{}

// eventService answers Unimplemented until its feature lands.
type eventService struct {
	casewirev1connect.UnimplementedEventServiceHandler
	s *Server
}
