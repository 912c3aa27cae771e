package compiler_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/etl-dev/etl/adapters/duckdb"
	"github.com/etl-dev/etl/compiler"
	"github.com/etl-dev/etl/project"
)

// TestManifestJSON checks that the hand-written encoder agrees with
// encoding/json on every node of the example project, and on awkward strings.
func TestManifestJSON(t *testing.T) {
	p, err := project.Load("../example_project", project.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := compiler.New(p, duckdb.Dialect{})
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := c.Select(nil, nil)
	plan, err := c.Compile(ids, compiler.Options{Trigger: time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	m := c.Manifest(plan, "test", func(n *compiler.Node) string { return "compiled/" + n.Path })
	m.Nodes["awkward"] = &compiler.ManifestNode{Kind: "model", Name: "a\"b\\c\n\t<&>\x01é", DependsOn: []string{}, Config: &compiler.ManifestConfig{Tags: []string{"x"}}}
	// The whole manifest, against encoding/json on the same data.
	whole, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(struct {
		Metadata compiler.ManifestMeta             `json:"metadata"`
		Nodes    map[string]*compiler.ManifestNode `json:"nodes"`
	}{m.Metadata, m.Nodes})
	var gotAll, wantAll any
	if err := json.Unmarshal(whole, &gotAll); err != nil {
		t.Fatalf("manifest is not JSON: %v", err)
	}
	json.Unmarshal(plain, &wantAll)
	if !reflect.DeepEqual(gotAll, wantAll) {
		t.Errorf("manifest differs from encoding/json's")
	}
	for id, n := range m.Nodes {
		want, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		got := n.AppendJSON(nil)
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("%s: invalid JSON %s: %v", id, got, err)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s:\ngot  %s\nwant %s", id, got, want)
		}
	}
}
