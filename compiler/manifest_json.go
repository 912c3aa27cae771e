package compiler

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/etl-dev/etl/project"
)

// MarshalJSON encodes the manifest with its nodes sorted by id, encoding
// nodes in parallel.
func (m *Manifest) MarshalJSON() ([]byte, error) {
	meta, err := json.Marshal(m.Metadata)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(m.Nodes))
	for id := range m.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([][]byte, len(ids))
	project.Parallel(len(ids), func(i int) {
		b := appendString(make([]byte, 0, 512), ids[i])
		parts[i] = m.Nodes[ids[i]].AppendJSON(append(b, ':'))
	})
	size := len(meta) + 32
	for _, p := range parts {
		size += len(p) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"metadata":`...)
	b = append(b, meta...)
	b = append(b, `,"nodes":{`...)
	for i, p := range parts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, p...)
	}
	return append(b, "}}"...), nil
}

// AppendJSON appends n as JSON, as encoding/json would write it. A manifest
// of 10,000 nodes is megabytes: reflection made it the slowest part of a
// compile. TestManifestJSON checks the two agree.
func (n *ManifestNode) AppendJSON(b []byte) []byte {
	b = append(b, `{"kind":`...)
	b = appendString(b, n.Kind)
	b = append(b, `,"name":`...)
	b = appendString(b, n.Name)
	b = append(b, `,"path":`...)
	b = appendString(b, n.Path)
	b = append(b, `,"depends_on":`...)
	b = appendStrings(b, n.DependsOn)
	if c := n.Config; c != nil {
		b = append(b, `,"config":{"materialized":`...)
		b = appendString(b, c.Materialized)
		b = appendOpt(b, "strategy", c.Strategy)
		b = appendOpt(b, "time_column", c.TimeColumn)
		b = appendOptList(b, "partition_by", c.PartitionBy)
		b = appendOptList(b, "unique_key", c.UniqueKey)
		b = appendOptList(b, "tags", c.Tags)
		b = appendOpt(b, "transform", c.Transform)
		b = append(b, `,"grain":`...)
		b = appendString(b, c.Grain)
		b = append(b, `,"delay":`...)
		b = appendString(b, c.Delay)
		b = append(b, `,"lookback":`...)
		b = strconv.AppendInt(b, int64(c.Lookback), 10)
		b = append(b, `,"timezone":`...)
		b = appendString(b, c.Timezone)
		b = appendOpt(b, "start", c.Start)
		b = append(b, `,"tests":`...)
		b = strconv.AppendInt(b, int64(c.Tests), 10)
		b = appendOpt(b, "format", c.Format)
		b = appendOpt(b, "source_path", c.SourcePath)
		b = appendOpt(b, "time_partition", c.TimePartition)
		b = append(b, '}')
	}
	if w := n.Window; w != nil {
		b = append(b, `,"window":{"start":`...)
		b = appendString(b, w.Start)
		b = append(b, `,"end":`...)
		b = appendString(b, w.End)
		b = append(b, '}')
	}
	b = appendOpt(b, "compiled_path", n.CompiledPath)
	return append(b, '}')
}

func appendOpt(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(append(append(b, `,"`...), key...), `":`...)
	return appendString(b, v)
}

func appendOptList(b []byte, key string, v []string) []byte {
	if len(v) == 0 {
		return b
	}
	b = append(append(append(b, `,"`...), key...), `":`...)
	return appendStrings(b, v)
}

func appendStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, escaping as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
