package main

import "errors"

// serveCmd is replaced by the server's real implementation.
type serveCmd struct{}

// Run reports that the command is not built yet.
func (c *serveCmd) Run(a *app) error { return errors.New("serve: not built yet") }

type tenantCmd struct {
	Create tenantCreateCmd `cmd:"" help:"Create a tenant and print its first admin API key."`
}

type tenantCreateCmd struct {
	Name string `arg:""`
}

func (c *tenantCreateCmd) Run(a *app) error { return errors.New("tenant: not built yet") }

type receiptsCmd struct {
	Import receiptsImportCmd `cmd:"" help:"Track every receipt number in a CSV or text file."`
}

type receiptsImportCmd struct {
	File string `arg:""`
}

func (c *receiptsImportCmd) Run(a *app) error { return errors.New("import: not built yet") }

type webhooksCmd struct {
	Listen webhooksListenCmd `cmd:"" help:"Receive, verify and print webhook deliveries."`
}

type webhooksListenCmd struct{}

func (c *webhooksListenCmd) Run(a *app) error { return errors.New("listen: not built yet") }
