//go:build ignore

// This program generates the ent client from ./schema with the features casewire uses.
package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	err := entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureUpsert,
			gen.FeatureLock,
			gen.FeatureExecQuery,
			gen.FeatureVersionedMigration,
			gen.FeatureModifier,
		},
	})
	if err != nil {
		log.Fatalf("ent: generate: %v", err)
	}
}
