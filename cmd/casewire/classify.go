package main

import "errors"

// classifyCmd is replaced by the classify command's real implementation.
type classifyCmd struct{}

// Run reports that the command is not built yet.
func (c *classifyCmd) Run(a *app) error { return errors.New("classify: not built yet") }
