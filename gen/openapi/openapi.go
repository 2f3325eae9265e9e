// Package openapi embeds the OpenAPI document generated from casewire's protos.
package openapi

import _ "embed"

// Document is the OpenAPI (Swagger 2.0) description of the JSON API.
//
//go:embed casewire.swagger.json
var Document []byte
