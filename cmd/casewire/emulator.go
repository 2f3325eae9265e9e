package main

import "errors"

// emulatorCmd is replaced by the emulator command's real implementation.
type emulatorCmd struct{}

// Run reports that the command is not built yet.
func (c *emulatorCmd) Run(a *app) error { return errors.New("emulator: not built yet") }
