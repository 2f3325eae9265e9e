// Package ent holds casewire's storage schema (./schema) and the client generated from it.
package ent

//go:generate go run -mod=mod entc.go
