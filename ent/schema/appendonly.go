package schema

import (
	"context"
	"fmt"

	"entgo.io/ent"
)

// appendOnly refuses every mutation of an entity except creation.
func appendOnly(entity string) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if !m.Op().Is(ent.OpCreate) {
				return nil, fmt.Errorf("schema: %s rows are append-only", entity)
			}
			return next.Mutate(ctx, m)
		})
	}
}
