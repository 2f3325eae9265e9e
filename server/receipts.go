package server

import "github.com/casewire/casewire/gen/casewire/v1/casewirev1connect"

// ReceiptBackend is the domain service behind the Receipt API; it is not built yet.
type ReceiptBackend interface{}

// receiptService answers Unimplemented until its feature lands.
type receiptService struct {
	casewirev1connect.UnimplementedReceiptServiceHandler
	s *Server
}
