package main

import "errors"

// receiptsCmd groups the receipt commands.
type receiptsCmd struct {
	Import receiptsImportCmd `cmd:"" help:"Track every receipt number in a CSV or text file."`
}

// receiptsImportCmd is replaced by the import command's implementation.
type receiptsImportCmd struct {
	File string `arg:""`
}

// Run reports that the command is not built yet.
func (c *receiptsImportCmd) Run(a *app) error { return errors.New("import: not built yet") }
