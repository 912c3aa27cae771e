package engine_test

import (
	"strings"
	"testing"

	"github.com/etl-dev/etl/internal/golden"
)

const unitModel = `/*---
materialized = "incremental"
time_column = "dt"
partition_by = ["dt"]
---*/
select cast(ts as date) as dt, user_id, count(*) as n
from {{ source "events" }}
group by all
`

func TestUnitTests(t *testing.T) {
	tests := []struct {
		name   string
		toml   string
		status string
		golden string // the failure text, for failing cases
		want   string // a fragment of the failure, for errors
	}{
		{
			name: "passes, rows outside the window filtered",
			toml: `model = "daily"
trigger = "2026-11-25T00:00:00Z"
[[given]]
source = "events"
rows = [
  { ts = 2026-11-24T10:00:00, user_id = "a" },
  { ts = 2026-11-24T11:00:00, user_id = "a" },
  { ts = 2026-11-24T12:00:00, user_id = "b" },
  { ts = 2026-11-23T12:00:00, user_id = "c" },
]
[expect]
rows = [
  { dt = 2026-11-24, user_id = "b", n = 1 },
  { dt = "2026-11-24", user_id = "a", n = 2.0 },
]
`,
			status: "success",
		},
		{
			name: "fails with a diff",
			toml: `model = "daily"
trigger = "2026-11-25T00:00:00Z"
[[given]]
source = "events"
rows = [
  { ts = 2026-11-24T10:00:00, user_id = "a" },
  { ts = 2026-11-24T11:00:00, user_id = "a" },
  { ts = 2026-11-24T12:00:00, user_id = "b" },
  { ts = 2026-11-24T13:00:00, user_id = "d" },
]
[expect]
rows = [
  { dt = 2026-11-24, user_id = "a", n = 3 },
  { dt = 2026-11-24, user_id = "b", n = 1 },
  { dt = 2026-11-24, user_id = "c", n = 1 },
]
`,
			status: "error",
			golden: "testdata/unit_diff.txt",
		},
		{
			name: "an input without rows",
			toml: `model = "daily"
trigger = "2026-11-25T00:00:00Z"
[expect]
rows = []
`,
			status: "error",
			want:   `daily reads source:events but the test gives no rows for it: add [[given]] with source = "events"`,
		},
		{
			name: "an expected column the model lacks",
			toml: `model = "daily"
trigger = "2026-11-25T00:00:00Z"
[[given]]
source = "events"
rows = [{ ts = 2026-11-24T10:00:00, user_id = "a" }]
[expect]
rows = [{ dt = 2026-11-24, users = 1 }]
`,
			status: "error",
			want:   `expected column "users" is not in the output of daily (its columns: dt, user_id, n)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := testProject(t, map[string]string{"models/daily.sql": unitModel, "tests/daily_counts.toml": tt.toml})
			res, out := runTests(t, root, []string{"daily"})
			r := status(res, "unit:daily_counts")
			if r == nil {
				t.Fatalf("no unit test result:\n%s", out)
			}
			if r.Status != tt.status {
				t.Fatalf("got %s, want %s:\n%s", r.Status, tt.status, r.Error)
			}
			if tt.want != "" && !strings.Contains(r.Error, tt.want) {
				t.Errorf("error:\n%s\nwant it to contain\n%s", r.Error, tt.want)
			}
			if tt.golden != "" {
				golden.Check(t, tt.golden, r.Error+"\n")
				if !strings.Contains(out, r.Error) {
					t.Errorf("the diff is not in the output:\n%s", out)
				}
			}
		})
	}
}
