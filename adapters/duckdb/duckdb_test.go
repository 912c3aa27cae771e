package duckdb_test

import (
	"testing"

	"github.com/etl-dev/etl/adapters/duckdb"
	"github.com/etl-dev/etl/engine"
	"github.com/etl-dev/etl/engine/enginetest"
)

func TestConformance(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, catalog string) engine.Adapter {
		a, err := duckdb.Open(duckdb.Settings{Catalog: catalog, Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		return a
	})
}
