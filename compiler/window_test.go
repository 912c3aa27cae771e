package compiler

import (
	"testing"
	"time"

	"github.com/etl-dev/etl/project"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestWindowFor(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	ny := mustLoc(t, "America/New_York")
	kolkata := mustLoc(t, "Asia/Kolkata")
	spec := func(grain string, delay time.Duration, lookback int, loc *time.Location) project.Window {
		return project.Window{Grain: grain, Delay: delay, Lookback: lookback, Location: loc, Timezone: loc.String()}
	}
	tests := []struct {
		name       string
		trigger    string
		spec       project.Window
		start, end string // RFC 3339
	}{
		{"contract 04:00", "2026-11-25T04:00:00Z", spec("day", 4*time.Hour, 0, time.UTC), "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"},
		{"contract 04:01", "2026-11-25T04:01:00Z", spec("day", 4*time.Hour, 0, time.UTC), "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"},
		{"contract 23:59", "2026-11-25T23:59:00Z", spec("day", 4*time.Hour, 0, time.UTC), "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"},
		{"just before delay", "2026-11-25T03:59:59Z", spec("day", 4*time.Hour, 0, time.UTC), "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z"},
		{"no delay at midnight", "2026-11-25T00:00:00Z", spec("day", 0, 0, time.UTC), "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z"},
		{"lookback 2", "2026-11-25T04:00:00Z", spec("day", 4*time.Hour, 2, time.UTC), "2026-11-22T00:00:00Z", "2026-11-25T00:00:00Z"},
		{"hour", "2026-11-25T04:30:00Z", spec("hour", 15*time.Minute, 0, time.UTC), "2026-11-25T03:00:00Z", "2026-11-25T04:00:00Z"},
		{"hour lookback", "2026-11-25T04:30:00Z", spec("hour", 0, 3, time.UTC), "2026-11-25T00:00:00Z", "2026-11-25T04:00:00Z"},
		{"hour half-offset zone", "2026-11-25T04:10:00Z", spec("hour", 0, 0, kolkata), "2026-11-25T02:30:00Z", "2026-11-25T03:30:00Z"},
		{"day in Berlin", "2026-11-25T04:00:00Z", spec("day", 4*time.Hour, 0, berlin), "2026-11-23T23:00:00Z", "2026-11-24T23:00:00Z"},
		// 2026-03-29: clocks go forward at 02:00 in Berlin; the day has 23 hours.
		{"Berlin spring-forward day", "2026-03-30T06:00:00+02:00", spec("day", 4*time.Hour, 0, berlin), "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"},
		// 2026-10-25: clocks go back at 03:00 in Berlin; the day has 25 hours.
		{"Berlin fall-back day", "2026-10-26T06:00:00+01:00", spec("day", 4*time.Hour, 0, berlin), "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"},
		// The repeated hour 02:00-03:00 on 2026-10-25 is two distinct hourly windows.
		{"Berlin repeated hour, first", "2026-10-25T01:30:00Z", spec("hour", 0, 0, berlin), "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z"},
		{"Berlin repeated hour, second", "2026-10-25T02:30:00Z", spec("hour", 0, 0, berlin), "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"},
		{"day in New York", "2026-11-25T09:00:00Z", spec("day", 4*time.Hour, 0, ny), "2026-11-24T05:00:00Z", "2026-11-25T05:00:00Z"},
		// 2026-11-25 is a Wednesday: the last whole ISO week is Mon 16 - Mon 23.
		{"week", "2026-11-25T04:00:00Z", spec("week", 4*time.Hour, 0, time.UTC), "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"},
		{"week on Monday after delay", "2026-11-23T04:00:00Z", spec("week", 4*time.Hour, 0, time.UTC), "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"},
		{"week on Monday before delay", "2026-11-23T03:00:00Z", spec("week", 4*time.Hour, 0, time.UTC), "2026-11-09T00:00:00Z", "2026-11-16T00:00:00Z"},
		{"week across a year", "2027-01-02T12:00:00Z", spec("week", 0, 0, time.UTC), "2026-12-21T00:00:00Z", "2026-12-28T00:00:00Z"},
		{"week Berlin across DST (169 hours)", "2026-10-27T06:00:00+01:00", spec("week", 0, 0, berlin), "2026-10-18T22:00:00Z", "2026-10-25T23:00:00Z"},
		{"month", "2026-11-25T04:00:00Z", spec("month", 4*time.Hour, 0, time.UTC), "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z"},
		{"month on the 1st after delay", "2026-12-01T05:00:00Z", spec("month", 4*time.Hour, 0, time.UTC), "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"},
		{"month across a year", "2027-01-01T12:00:00Z", spec("month", 0, 0, time.UTC), "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"month lookback", "2026-03-15T00:00:00Z", spec("month", 0, 1, time.UTC), "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z"},
		{"month in Berlin", "2026-11-25T04:00:00Z", spec("month", 0, 0, berlin), "2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trigger, err := time.Parse(time.RFC3339, tt.trigger)
			if err != nil {
				t.Fatal(err)
			}
			w := WindowFor(trigger, tt.spec)
			if got := w.Start.UTC().Format(time.RFC3339); got != mustUTC(t, tt.start) {
				t.Errorf("start: got %s, want %s", got, tt.start)
			}
			if got := w.End.UTC().Format(time.RFC3339); got != mustUTC(t, tt.end) {
				t.Errorf("end: got %s, want %s", got, tt.end)
			}
		})
	}
}

func mustUTC(t *testing.T, s string) string {
	t.Helper()
	x, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return x.UTC().Format(time.RFC3339)
}

func TestWindowsBetween(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	tests := []struct {
		name      string
		from, to  string
		grain     string
		loc       *time.Location
		wantFirst string
		wantN     int
	}{
		{"three days", "2026-11-22", "2026-11-25", "day", time.UTC, "2026-11-22T00:00:00Z", 3},
		{"partial grain dropped", "2026-11-22T06:00:00", "2026-11-25T06:00:00", "day", time.UTC, "2026-11-23T00:00:00Z", 2},
		{"empty", "2026-11-22", "2026-11-22", "day", time.UTC, "", 0},
		{"hours across fall-back", "2026-10-25", "2026-10-26", "hour", berlin, "2026-10-24T22:00:00Z", 25},
		{"weeks", "2026-11-02", "2026-11-30", "week", time.UTC, "2026-11-02T00:00:00Z", 4},
		{"months", "2026-01-01", "2027-01-01", "month", berlin, "2025-12-31T23:00:00Z", 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := func() time.Time { return time.Time{} }
			from, err := ParseTime(tt.from, tt.loc, now)
			if err != nil {
				t.Fatal(err)
			}
			to, err := ParseTime(tt.to, tt.loc, now)
			if err != nil {
				t.Fatal(err)
			}
			ws := WindowsBetween(from, to, project.Window{Grain: tt.grain, Location: tt.loc})
			if len(ws) != tt.wantN {
				t.Fatalf("got %d windows, want %d: %v", len(ws), tt.wantN, ws)
			}
			if tt.wantN == 0 {
				return
			}
			if got := ws[0].Start.UTC().Format(time.RFC3339); got != tt.wantFirst {
				t.Errorf("first start: got %s, want %s", got, tt.wantFirst)
			}
			for i := 1; i < len(ws); i++ {
				if !ws[i].Start.Equal(ws[i-1].End) {
					t.Errorf("window %d starts at %s, not at the end of the one before (%s)", i, ws[i].Start, ws[i-1].End)
				}
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	now := func() time.Time { return time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC) }
	tests := []struct {
		in, want string
		loc      *time.Location
		wantErr  bool
	}{
		{in: "2026-11-25T04:00:00Z", want: "2026-11-25T04:00:00Z", loc: berlin},
		{in: "2026-11-25T04:00:00+02:00", want: "2026-11-25T02:00:00Z", loc: time.UTC},
		{in: "2026-11-25T04:00", want: "2026-11-25T03:00:00Z", loc: berlin},
		{in: "2026-11-25T04:00:30", want: "2026-11-25T03:00:30Z", loc: berlin},
		{in: "2026-11-25", want: "2026-11-24T23:00:00Z", loc: berlin},
		{in: "2026-11-25", want: "2026-11-25T00:00:00Z", loc: time.UTC},
		{in: "now", want: "2026-11-25T04:00:00Z", loc: berlin},
		{in: "yesterday", loc: time.UTC, wantErr: true},
		{in: "2026-13-01", loc: time.UTC, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in, tt.loc, now)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %s, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := got.UTC().Format(time.RFC3339); s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
}
