package engine

import (
	"context"

	"github.com/etl-dev/etl/compiler"
)

// UnitTest is a placeholder until unit tests land.
type UnitTest struct{}

// UnitsFor returns the unit tests of the selected models.
func UnitsFor(c *compiler.Compiler, ids []string) []*UnitTest { return nil }

func (r *runner) unit(ctx context.Context, u *UnitTest) *Result { return nil }
