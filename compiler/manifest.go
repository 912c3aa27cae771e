package compiler

import (
	"sort"
	"time"

	"github.com/etl-dev/etl/project"
)

// Manifest is target/manifest.json: every node of the project with its
// dependencies and resolved config, for tools and for the docs site.
type Manifest struct {
	Metadata ManifestMeta             `json:"metadata"`
	Nodes    map[string]*ManifestNode `json:"nodes"`
}

// ManifestMeta says which project, environment and trigger it describes.
type ManifestMeta struct {
	Project     string `json:"project"`
	Env         string `json:"env"`
	Version     string `json:"etl_version"`
	GeneratedAt string `json:"generated_at"`
	Trigger     string `json:"trigger,omitempty"`
}

// ManifestNode is one node of the manifest.
type ManifestNode struct {
	Kind         string          `json:"kind"`
	Name         string          `json:"name"`
	Path         string          `json:"path"`
	DependsOn    []string        `json:"depends_on"`
	Config       *ManifestConfig `json:"config,omitempty"`
	Window       *ManifestWindow `json:"window,omitempty"`
	CompiledPath string          `json:"compiled_path,omitempty"`
}

// ManifestConfig is a model's resolved config.
type ManifestConfig struct {
	Materialized  string   `json:"materialized"`
	Strategy      string   `json:"strategy,omitempty"`
	TimeColumn    string   `json:"time_column,omitempty"`
	PartitionBy   []string `json:"partition_by,omitempty"`
	UniqueKey     []string `json:"unique_key,omitempty"`
	Tags          []string `json:"tags,omitempty"`
	Transform     string   `json:"transform,omitempty"`
	Grain         string   `json:"grain"`
	Delay         string   `json:"delay"`
	Lookback      int      `json:"lookback"`
	Timezone      string   `json:"timezone"`
	Start         string   `json:"start,omitempty"`
	Tests         int      `json:"tests"`
	Format        string   `json:"format,omitempty"`
	SourcePath    string   `json:"source_path,omitempty"`
	TimePartition string   `json:"time_partition,omitempty"`
}

// ManifestWindow is the window a node was compiled for.
type ManifestWindow struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// Manifest describes every node of the project; nodes in plan carry their
// window and compiled path (compiledPath maps a node to its file).
func (c *Compiler) Manifest(plan *Plan, version string, compiledPath func(*Node) string) *Manifest {
	m := &Manifest{
		Metadata: ManifestMeta{Project: c.Project.Name, Env: c.Project.Env, Version: version, GeneratedAt: time.Now().UTC().Format(time.RFC3339)},
		Nodes:    map[string]*ManifestNode{},
	}
	compiled := map[string]*Compiled{}
	if plan != nil {
		if !plan.Trigger.IsZero() {
			m.Metadata.Trigger = plan.Trigger.Format(time.RFC3339)
		}
		for _, cn := range append(append([]*Compiled(nil), plan.Nodes...), plan.Tests...) {
			compiled[cn.Node.ID] = cn
		}
	}
	all := make([]*Node, 0, len(c.Nodes)+len(c.Tests))
	for _, n := range c.Nodes {
		all = append(all, n)
	}
	all = append(all, c.Tests...)
	nodes := make([]*ManifestNode, len(all))
	project.Parallel(len(all), func(i int) { nodes[i] = manifestNode(all[i], compiled[all[i].ID], compiledPath) })
	for i, n := range all {
		m.Nodes[n.ID] = nodes[i]
	}
	return m
}

func manifestNode(n *Node, cn *Compiled, compiledPath func(*Node) string) *ManifestNode {
	mn := &ManifestNode{Kind: n.Kind, Name: n.Name, Path: n.Path, DependsOn: append([]string{}, n.Parents...)}
	sort.Strings(mn.DependsOn)
	if mdl := n.Model; mdl != nil {
		cfg := mdl.Config
		mc := &ManifestConfig{
			Materialized: cfg.Materialized, TimeColumn: cfg.TimeColumn, PartitionBy: cfg.PartitionBy,
			UniqueKey: cfg.UniqueKey, Tags: cfg.Tags, Transform: cfg.Transform,
			Grain: mdl.Window.Grain, Delay: mdl.Window.Delay.String(), Lookback: mdl.Window.Lookback,
			Timezone: mdl.Window.Timezone, Tests: len(cfg.Tests),
		}
		if cfg.Materialized == "incremental" {
			mc.Strategy = cfg.Strategy
		}
		if !mdl.Start.IsZero() {
			mc.Start = mdl.Start.Format("2006-01-02")
		}
		mn.Config = mc
	}
	if s := n.Source; s != nil {
		mn.Config = &ManifestConfig{Format: s.Format, SourcePath: s.Path, TimeColumn: s.TimeColumn, TimePartition: s.TimePartition, Tests: len(s.Tests)}
	}
	if cn != nil {
		if !cn.Window.IsZero() {
			mn.Window = &ManifestWindow{Start: cn.Window.Start.Format(time.RFC3339), End: cn.Window.End.Format(time.RFC3339)}
		}
		if cn.SQL != "" && compiledPath != nil {
			mn.CompiledPath = compiledPath(n)
		}
	}
	return mn
}
