package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// FieldError is one problem with one field, named by its path in the JSON
// document: "work_orders[3].time_windows[0].end".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) String() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// ValidationError lists every problem found in a value, in document order.
type ValidationError struct {
	Errors []FieldError
}

// maxListed bounds how many problems Error spells out, so that a one-line
// message stays readable; Errors holds them all.
const maxListed = 5

func (e *ValidationError) Error() string { return "model: invalid: " + e.Summary() }

// Summary lists the first few problems on one line, with a count of the
// rest: "a.b: negative; c: missing; and 7 more".
func (e *ValidationError) Summary() string {
	var b strings.Builder
	for i, fe := range e.Errors {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(e.Errors)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.String())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true: a validation error is of kind
// ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Prefix returns a copy of e whose field paths are nested under path, for
// a caller that validated a part of a larger document.
func (e *ValidationError) Prefix(path string) *ValidationError {
	out := &ValidationError{Errors: make([]FieldError, len(e.Errors))}
	for i, fe := range e.Errors {
		out.Errors[i] = FieldError{Field: join(path, fe.Field), Message: fe.Message}
	}
	return out
}

// MaxErrors bounds the problems kept from one document, so that a garbage
// matrix of a million negative entries cannot turn into a million errors;
// every validator keeps to it.
const MaxErrors = 1000

// checker accumulates field errors. It keeps the path of what it is
// checking as segments and spells a path out only for an error: a valid
// document of thousands of orders, the common case, formats none.
type checker struct {
	errs    []FieldError
	dropped int
	at      []segment
}

// segment is one step of a field path: a name, and an index when it is
// one element of a list.
type segment struct {
	name  string
	index int // -1: not a list element
}

// enter descends into the named field; leave comes back out.
func (v *checker) enter(name string) { v.at = append(v.at, segment{name, -1}) }

// enterIndex descends into element i of the named list.
func (v *checker) enterIndex(name string, i int) { v.at = append(v.at, segment{name, i}) }

func (v *checker) leave() { v.at = v.at[:len(v.at)-1] }

// add records a problem with field, a path relative to where the checker
// is ("" for that place itself).
func (v *checker) add(field, message string) {
	if len(v.errs) == MaxErrors {
		v.dropped++
		return
	}
	v.errs = append(v.errs, FieldError{Field: v.path(field), Message: message})
}

// path spells out field under the checker's current place.
func (v *checker) path(field string) string {
	var b strings.Builder
	for _, s := range v.at {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		}
	}
	if field != "" {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(field)
	}
	return b.String()
}

// MaxSkillLevel is the highest skill level.
const MaxSkillLevel = 100

// checkSkills reports bad skill names and levels outside [1,
// MaxSkillLevel] of the skills in field, in name order so that the report
// does not depend on the map's.
func checkSkills(v *checker, field string, skills Skills) {
	for _, name := range sortedKeys(skills) {
		switch level := skills[name]; {
		case name == "":
			v.add(field, "empty skill name")
		case NameProblem(name) != "":
			v.add(field, "skill "+Quote(name)+": "+NameProblem(name))
		case level < 1 || level > MaxSkillLevel:
			v.add(field+"."+name, fmt.Sprintf("level %d: levels start at 1 and end at %d", level, MaxSkillLevel))
		}
	}
}

// checkNames reports the bad names of the list in field.
func checkNames(v *checker, field string, names []string) {
	for i, name := range names {
		if p := NameProblem(name); p != "" {
			v.add(fmt.Sprintf("%s[%d]", field, i), p)
		}
	}
}

// checkAmounts reports the amounts of the list in field outside [0,
// MaxAmount].
func checkAmounts(v *checker, field string, amounts []float64) {
	for i, x := range amounts {
		checkRange(v, fmt.Sprintf("%s[%d]", field, i), x, 0, MaxAmount)
	}
}

// Spell lists a vocabulary (statuses, outcome codes, event types) for a
// message, in its order, comma-separated: the one way every message that
// says "want one of …" spells the model's lists.
func Spell[T ~string](vs []T) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}

// Quote quotes a value for an error message, cut to a readable length:
// an id or name that is refused may be of any length.
func Quote(s string) string {
	const most = 40
	if len(s) > most {
		cut := most
		for cut > 0 && s[cut]&0xc0 == 0x80 {
			cut-- // not inside a UTF-8 sequence
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

// checkCoordinates reports a latitude or longitude out of range, as
// fields lat and lng of the current place.
func checkCoordinates(v *checker, lat, lng float64) {
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		v.add("lat", fmt.Sprintf("%v out of range [-90, 90]", lat))
	}
	if math.IsNaN(lng) || lng < -180 || lng > 180 {
		v.add("lng", fmt.Sprintf("%v out of range [-180, 180]", lng))
	}
}

func (v *checker) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	errs := v.errs
	if v.dropped > 0 {
		errs = append(errs, FieldError{Field: errs[len(errs)-1].Field, Message: fmt.Sprintf("and %d more problems not listed", v.dropped)})
	}
	return &ValidationError{Errors: errs}
}

// join appends a field name to a path; an empty path is the document root.
func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}
