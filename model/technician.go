package model

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Skills maps a skill name (such as "hvac") to a level. A technician
// qualifies for a required skill when their level is at least the required
// level; levels start at 1.
type Skills map[string]int

// Names returns the skill names in order, so that what is derived from
// skills (reasons, validation errors) comes out the same every time.
func (s Skills) Names() []string { return sortedKeys(s) }

// Certification is a named credential (such as "EPA-608") that may expire.
// It is valid through its Expires day; a zero Expires never expires.
type Certification struct {
	Name    string `json:"name"`
	Expires Date   `json:"expires,omitzero"`
}

// ValidOn reports whether the certification is valid on day d.
func (c Certification) ValidOn(d Date) bool { return c.Expires.IsZero() || !c.Expires.Before(d) }

// Shift is the span a technician works: the first job cannot start before
// Start plus the travel from the technician's start location, and the
// technician must be back at their end location by End plus their allowed
// overtime.
type Shift struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// MaxShift is the longest shift a technician may have: a week, which no
// real shift comes near, so that a typo in a year cannot make a planner
// lay out decades.
const MaxShift = 7 * 24 * time.Hour

// Break is a pause of Duration that must start between Earliest and Latest
// and overlaps neither work nor travel.
type Break struct {
	Earliest time.Time `json:"earliest"`
	Latest   time.Time `json:"latest"`
	Duration Seconds   `json:"duration_s"`
}

// Technician is a person who does work orders.
type Technician struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Active *bool  `json:"active,omitempty"`

	Skills         Skills          `json:"skills,omitempty"`
	Certifications []Certification `json:"certifications,omitempty"`
	Tools          []string        `json:"tools,omitempty"`

	// Start is where the day begins; End, when nil, is Start.
	Start Location  `json:"start"`
	End   *Location `json:"end,omitempty"`

	Shift  Shift   `json:"shift"`
	Breaks []Break `json:"breaks,omitempty"`

	// MaxJobs caps the jobs in one day; zero means no cap.
	MaxJobs int `json:"max_jobs,omitempty"`
	// Capacity is the load the technician can carry, one number per
	// dimension; nil means unlimited, and a dimension beyond the list has
	// capacity zero.
	Capacity    []float64 `json:"capacity,omitempty"`
	CostPerHour float64   `json:"cost_per_hour,omitempty"`
	// Overtime is how long past Shift.End the technician may work.
	Overtime Seconds `json:"overtime_s,omitempty"`
}

// IsActive reports whether the technician may be given work; an omitted
// "active" means active.
func (t *Technician) IsActive() bool { return t.Active == nil || *t.Active }

// EndLocation returns where the technician's day ends.
func (t *Technician) EndLocation() Location {
	if t.End != nil {
		return *t.End
	}
	return t.Start
}

// Certification returns the technician's certification with the given name
// that is valid the longest, and whether they hold one at all.
func (t *Technician) Certification(name string) (Certification, bool) {
	var best Certification
	found := false
	for _, c := range t.Certifications {
		if c.Name != name {
			continue
		}
		if !found || c.Expires.IsZero() || (!best.Expires.IsZero() && best.Expires.Before(c.Expires)) {
			best, found = c, true
		}
	}
	return best, found
}

// HasTool reports whether the technician carries the named tool.
func (t *Technician) HasTool(name string) bool { return slices.Contains(t.Tools, name) }

// Validate reports every problem with the technician on its own; field paths
// are relative to the technician ("shift.end: before start"). It does not
// resolve matrix indices, which need the problem's travel matrix.
func (t *Technician) Validate() error {
	var v checker
	t.check(&v)
	return v.err()
}

func (t *Technician) check(v *checker) {
	checkID(v, "id", t.ID)
	checkSkills(v, "skills", t.Skills)
	for i, c := range t.Certifications {
		switch p := NameProblem(c.Name); {
		case c.Name == "":
			v.add(fmt.Sprintf("certifications[%d].name", i), "missing")
		case p != "":
			v.add(fmt.Sprintf("certifications[%d].name", i), p)
		}
	}
	checkNames(v, "tools", t.Tools)
	v.enter("start")
	t.Start.check(v)
	v.leave()
	if t.End != nil {
		v.enter("end")
		t.End.check(v)
		v.leave()
	}
	t.checkShift(v)
	if t.MaxJobs < 0 {
		v.add("max_jobs", "negative")
	} else if t.MaxJobs > MaxJobs {
		v.add("max_jobs", fmt.Sprintf("%d; at most %d", t.MaxJobs, MaxJobs))
	}
	checkAmounts(v, "capacity", t.Capacity)
	checkRange(v, "cost_per_hour", t.CostPerHour, 0, MaxCostPerHour)
	checkSeconds(v, "overtime_s", t.Overtime)
}

func (t *Technician) checkShift(v *checker) {
	s := t.Shift
	ok := true
	if s.Start.IsZero() {
		v.add("shift.start", "missing")
		ok = false
	}
	if s.End.IsZero() {
		v.add("shift.end", "missing")
		ok = false
	}
	if ok && !s.End.After(s.Start) {
		v.add("shift.end", "before start")
		ok = false
	}
	if ok && s.End.Sub(s.Start) > MaxShift {
		v.add("shift.end", fmt.Sprintf("the shift lasts %v; at most %v", s.End.Sub(s.Start).Round(time.Hour), MaxShift))
		ok = false
	}
	for i, b := range t.Breaks {
		v.enterIndex("breaks", i)
		t.checkBreak(v, b, ok)
		v.leave()
	}
}

// checkBreak checks one break; against the shift too when the shift is
// valid.
func (t *Technician) checkBreak(v *checker, b Break, shiftOK bool) {
	checkSeconds(v, "duration_s", b.Duration)
	if b.Earliest.IsZero() {
		v.add("earliest", "missing")
		return
	}
	if b.Latest.IsZero() {
		v.add("latest", "missing")
		return
	}
	if b.Latest.Before(b.Earliest) {
		v.add("latest", "before earliest")
		return
	}
	if !shiftOK {
		return
	}
	s := t.Shift
	if b.Duration > MaxDuration || t.Overtime > MaxDuration {
		return // reported above
	}
	last := s.End.Add(t.Overtime.Duration())
	switch {
	case b.Earliest.Before(s.Start):
		v.add("earliest", "before shift start")
	case b.Earliest.Add(b.Duration.Duration()).After(last):
		v.add("earliest", "the break cannot end before the shift (plus overtime) ends")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
