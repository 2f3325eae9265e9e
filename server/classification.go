package server

import (
	"context"
	"strings"
	"unicode/utf8"

	"connectrpc.com/connect"

	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
)

// classificationService normalises statuses statelessly.
type classificationService struct{ s *Server }

const (
	maxTitleLen       = 500
	maxStatusDescLen  = 20000
	maxFormTypeLength = 50
)

func (c *classificationService) ClassifyStatus(ctx context.Context, req *connect.Request[casewirev1.ClassifyStatusRequest]) (*connect.Response[casewirev1.ClassifyStatusResponse], error) {
	m := req.Msg
	switch {
	case strings.TrimSpace(m.GetTitle()) == "":
		return nil, invalid("title", "is required")
	case utf8.RuneCountInString(m.GetTitle()) > maxTitleLen:
		return nil, invalid("title", "is longer than 500 characters")
	case len(m.GetDescription()) > maxStatusDescLen:
		return nil, invalid("description", "is longer than 20000 bytes")
	case len(m.GetFormType()) > maxFormTypeLength:
		return nil, invalid("form_type", "is longer than 50 bytes")
	}
	r := c.s.opts.Classifier.ClassifyForm(m.GetTitle(), m.GetDescription(), m.GetFormType())
	return connect.NewResponse(&casewirev1.ClassifyStatusResponse{
		Status:  resultToProto(r),
		TitleEs: r.TitleES,
	}), nil
}
