package server

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"

	"github.com/casewire/casewire/access"
	"github.com/casewire/casewire/ent"
	"github.com/casewire/casewire/ent/apikey"
	"github.com/casewire/casewire/ent/tenant"
	casewirev1 "github.com/casewire/casewire/gen/casewire/v1"
)

// apiKeyService manages a firm's API keys. Only admin keys reach it.
type apiKeyService struct{ s *Server }

var scopeToProto = map[access.Scope]casewirev1.Scope{
	access.ScopeRead:  casewirev1.Scope_SCOPE_READ,
	access.ScopeWrite: casewirev1.Scope_SCOPE_WRITE,
	access.ScopeAdmin: casewirev1.Scope_SCOPE_ADMIN,
}

func (a *apiKeyService) CreateApiKey(ctx context.Context, req *connect.Request[casewirev1.CreateApiKeyRequest]) (*connect.Response[casewirev1.CreateApiKeyResponse], error) {
	in := req.Msg.GetApiKey()
	if in == nil {
		return nil, invalid("api_key", "is required")
	}
	var scope access.Scope
	for s, p := range scopeToProto {
		if p == in.GetScope() {
			scope = s
		}
	}
	if scope == 0 {
		return nil, invalid("api_key.scope", "must be SCOPE_READ, SCOPE_WRITE or SCOPE_ADMIN")
	}
	if utf8.RuneCountInString(in.GetName()) > maxNameLen {
		return nil, invalid("api_key.name", "is longer than 200 characters")
	}
	var expire *time.Time
	if in.GetExpireTime() != nil {
		t := in.GetExpireTime().AsTime()
		if !t.After(time.Now()) {
			return nil, invalid("api_key.expire_time", "must be in the future")
		}
		expire = &t
	}
	db := a.s.opts.Store.Ent
	row, key, err := a.s.keys.Issue(ctx, db, tenantID(ctx), strings.TrimSpace(in.GetName()), scope, expire)
	if err != nil {
		return nil, err
	}
	out := keyToProto(row)
	out.Key = key
	return connect.NewResponse(&casewirev1.CreateApiKeyResponse{ApiKey: out}), nil
}

func (a *apiKeyService) GetApiKey(ctx context.Context, req *connect.Request[casewirev1.GetApiKeyRequest]) (*connect.Response[casewirev1.GetApiKeyResponse], error) {
	row, err := a.find(ctx, req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&casewirev1.GetApiKeyResponse{ApiKey: keyToProto(row)}), nil
}

func (a *apiKeyService) ListApiKeys(ctx context.Context, req *connect.Request[casewirev1.ListApiKeysRequest]) (*connect.Response[casewirev1.ListApiKeysResponse], error) {
	size, after, err := page(req.Msg.GetPageSize(), req.Msg.GetPageToken())
	if err != nil {
		return nil, err
	}
	q := a.s.opts.Store.Ent.APIKey.Query().Where(apikey.TenantID(tenantID(ctx)))
	if after != "" {
		q = q.Where(apikey.IDGT(after))
	}
	rows, err := q.Order(ent.Asc(apikey.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	out := &casewirev1.ListApiKeysResponse{}
	rows, out.NextPageToken = nextPage(rows, size, func(r *ent.APIKey) string { return r.ID })
	for _, r := range rows {
		out.ApiKeys = append(out.ApiKeys, keyToProto(r))
	}
	return connect.NewResponse(out), nil
}

func (a *apiKeyService) RevokeApiKey(ctx context.Context, req *connect.Request[casewirev1.RevokeApiKeyRequest]) (*connect.Response[casewirev1.RevokeApiKeyResponse], error) {
	row, err := a.find(ctx, req.Msg.GetId())
	if err != nil {
		return nil, err
	}
	if row.RevokeTime == nil {
		if err := a.keepOneAdmin(ctx, row); err != nil {
			return nil, err
		}
		row, err = row.Update().SetRevokeTime(time.Now().UTC()).Save(ctx)
		if err != nil {
			return nil, err
		}
	}
	return connect.NewResponse(&casewirev1.RevokeApiKeyResponse{ApiKey: keyToProto(row)}), nil
}

// keepOneAdmin refuses to revoke a firm's last working admin key: nothing could make a new
// key for the firm afterwards.
func (a *apiKeyService) keepOneAdmin(ctx context.Context, row *ent.APIKey) error {
	if row.Scope != access.ScopeAdmin.String() {
		return nil
	}
	now := time.Now().UTC() // stored times are UTC, and SQLite compares them as text
	others, err := a.s.opts.Store.Ent.APIKey.Query().Where(
		apikey.TenantID(row.TenantID), apikey.IDNEQ(row.ID),
		apikey.Scope(access.ScopeAdmin.String()), apikey.RevokeTimeIsNil(),
		apikey.Or(apikey.ExpireTimeIsNil(), apikey.ExpireTimeGT(now)),
	).Exist(ctx)
	if err != nil {
		return err
	}
	if !others {
		return connect.NewError(connect.CodeFailedPrecondition,
			errorf("this is the firm's last admin key; create another admin key before revoking it"))
	}
	return nil
}

func (a *apiKeyService) find(ctx context.Context, id string) (*ent.APIKey, error) {
	if id == "" {
		return nil, invalid("id", "is required")
	}
	row, err := a.s.opts.Store.Ent.APIKey.Query().
		Where(apikey.ID(id), apikey.TenantID(tenantID(ctx))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("API key " + id)
	}
	return row, err
}

func keyToProto(r *ent.APIKey) *casewirev1.ApiKey {
	scope, _ := access.ParseScope(r.Scope)
	return &casewirev1.ApiKey{
		Id:          r.ID,
		Name:        r.Name,
		Scope:       scopeToProto[scope],
		Prefix:      r.Prefix,
		CreateTime:  ts(r.CreateTime),
		LastUseTime: tsp(r.LastUseTime),
		ExpireTime:  tsp(r.ExpireTime),
		RevokeTime:  tsp(r.RevokeTime),
	}
}

// tenantService answers the caller's own tenant.
type tenantService struct{ s *Server }

func (t *tenantService) GetTenant(ctx context.Context, _ *connect.Request[casewirev1.GetTenantRequest]) (*connect.Response[casewirev1.GetTenantResponse], error) {
	row, err := t.s.opts.Store.Ent.Tenant.Query().Where(tenant.ID(tenantID(ctx))).Only(ctx)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&casewirev1.GetTenantResponse{Tenant: &casewirev1.Tenant{
		Id: row.ID, Name: row.Name, CreateTime: ts(row.CreateTime),
	}}), nil
}
