package model

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Seconds is a duration in whole seconds, the unit of every JSON field whose
// name ends in "_s".
type Seconds int64

// Duration converts s to a time.Duration, saturating at the largest
// (about 292 years) either way rather than wrapping round: a huge number
// of seconds must stay huge for every check that compares it.
func (s Seconds) Duration() time.Duration {
	const most = Seconds(math.MaxInt64 / int64(time.Second))
	switch {
	case s > most:
		return math.MaxInt64
	case s < -most:
		return math.MinInt64
	}
	return time.Duration(s) * time.Second
}

// SecondsOf rounds d to the nearest whole second.
func SecondsOf(d time.Duration) Seconds { return Seconds(d.Round(time.Second) / time.Second) }

// Date is a civil date (no time, no zone), written "2006-01-02" in JSON. It is
// the unit in which certifications expire.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "2006-01-02".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parsing date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// String formats d as "2006-01-02".
// Next returns the day after d.
func (d Date) Next() Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+1, 12, 0, 0, 0, time.UTC))
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MarshalJSON writes d as "2006-01-02".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads "2006-01-02".
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("decoding date: want a string YYYY-MM-DD")
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// TimeWindow is a closed interval of instants. On a work order it bounds
// the start of service, not its end; a window whose end equals its start
// is a fixed appointment.
type TimeWindow struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether t lies in [Start, End].
func (w TimeWindow) Contains(t time.Time) bool { return !t.Before(w.Start) && !t.After(w.End) }

// Duration returns End - Start.
func (w TimeWindow) Duration() time.Duration { return w.End.Sub(w.Start) }

func (w TimeWindow) check(v *checker) {
	missing := false
	if w.Start.IsZero() {
		v.add("start", "missing")
		missing = true
	}
	if w.End.IsZero() {
		v.add("end", "missing")
		missing = true
	}
	if !missing && w.End.Before(w.Start) {
		v.add("end", "before start")
	}
}
