package compiler

import (
	"fmt"
	"strings"
	"time"

	"github.com/etl-dev/etl/project"
)

// Window is the half-open event-time interval [Start, End) a run processes.
// Start and End are instants in the model's time zone.
type Window struct {
	Start time.Time
	End   time.Time
	Grain string
}

// IsZero reports whether w is the absent window of a non-incremental run.
func (w Window) IsZero() bool { return w.Start.IsZero() && w.End.IsZero() }

func (w Window) String() string {
	if w.IsZero() {
		return ""
	}
	if w.Grain == "hour" {
		return fmt.Sprintf("[%s, %s)", w.Start.Format("2006-01-02T15:04Z07:00"), w.End.Format("2006-01-02T15:04Z07:00"))
	}
	return fmt.Sprintf("[%s, %s)", w.Start.Format("2006-01-02"), w.End.Format("2006-01-02"))
}

// WindowFor turns a trigger time into the window a run processes:
// end = floor(trigger - delay) to the grain in the time zone, start = end - 1
// grain, then lookback more grains earlier.
func WindowFor(trigger time.Time, spec project.Window) Window {
	end := Floor(trigger.Add(-spec.Delay), spec.Grain, spec.Location)
	start := AddGrains(end, spec.Grain, -1-spec.Lookback)
	return Window{Start: start, End: end, Grain: spec.Grain}
}

// WindowsBetween lists the whole grains inside [from, to), oldest first:
// the windows of a backfill. A partial grain at either end is left out.
func WindowsBetween(from, to time.Time, spec project.Window) []Window {
	start := Floor(from, spec.Grain, spec.Location)
	if start.Before(from) {
		start = AddGrains(start, spec.Grain, 1)
	}
	var out []Window
	for {
		end := AddGrains(start, spec.Grain, 1)
		if end.After(to) {
			return out
		}
		out = append(out, Window{Start: start, End: end, Grain: spec.Grain})
		start = end
	}
}

// Floor returns the start of the grain holding t, in loc. Day, week and month
// boundaries are local midnights; hours are whole local hours, so that a
// zone with a 30-minute offset gets its own hours and the repeated hour of a
// DST change stays two distinct hours.
func Floor(t time.Time, grain string, loc *time.Location) time.Time {
	t = t.In(loc)
	switch grain {
	case "hour":
		return t.Add(-time.Duration(t.Minute())*time.Minute - time.Duration(t.Second())*time.Second - time.Duration(t.Nanosecond()))
	case "week":
		y, m, d := t.Date()
		offset := (int(t.Weekday()) + 6) % 7 // Monday is 0: ISO weeks
		return midnight(y, m, d-offset, loc)
	case "month":
		y, m, _ := t.Date()
		return midnight(y, m, 1, loc)
	default:
		y, m, d := t.Date()
		return midnight(y, m, d, loc)
	}
}

// AddGrains moves t by n grains; calendar grains keep local midnight across
// DST changes (a day is 23 or 25 hours then).
func AddGrains(t time.Time, grain string, n int) time.Time {
	switch grain {
	case "hour":
		return t.Add(time.Duration(n) * time.Hour)
	case "week":
		y, m, d := t.Date()
		return midnight(y, m, d+7*n, t.Location())
	case "month":
		y, m, _ := t.Date()
		return midnight(y, m+time.Month(n), 1, t.Location())
	default:
		y, m, d := t.Date()
		return midnight(y, m, d+n, t.Location())
	}
}

func midnight(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// ParseTime reads a --trigger, --start or --end value: RFC 3339, or
// 2026-11-25T04:00[:00] or 2026-11-25 read in loc, or "now".
func ParseTime(s string, loc *time.Location, now func() time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now().In(loc), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.In(loc), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read time %q: use RFC 3339 (2026-11-25T04:00:00Z), 2026-11-25T04:00, 2026-11-25 or now", s)
}
