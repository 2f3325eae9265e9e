package main

import (
	"fmt"

	"github.com/casewire/casewire/access"
)

// tenantCmd groups the tenant commands.
type tenantCmd struct {
	Create tenantCreateCmd `cmd:"" help:"Create a tenant (a law firm) and print its first admin API key."`
}

// tenantCreateCmd creates a tenant. The key is printed alone on the last line, so scripts
// can take it with tail -n 1.
type tenantCreateCmd struct {
	dbFlags
	Name string `arg:"" help:"The firm's name."`
}

// Run creates the tenant.
func (c *tenantCreateCmd) Run(a *app) error {
	st, err := c.open(a.ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	t, key, err := access.CreateTenant(a.ctx, st.Ent, c.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "tenant %s created: %s\n", t.ID, t.Name)
	fmt.Fprintln(a.stdout, "admin API key (shown once; store it now):")
	fmt.Fprintln(a.stdout, key)
	return nil
}
