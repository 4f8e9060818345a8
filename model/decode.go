package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Decode decodes one trusted JSON document (a file of the project's own,
// a test's input) into v: unknown fields are refused, and so is anything
// after the document; on failure it returns a *ValidationError naming
// every offending field by its path. It is the standard library's
// decoding, without the service's rules for untrusted input — limits,
// exact names, duplicate names, UTF-8 — which api.DecodeJSON adds.
func Decode(data []byte, v any) error {
	err := decodeStrict(data, v)
	if err == nil {
		return nil
	}
	if ve := FieldErrors(data, reflect.TypeOf(v)); ve != nil {
		return ve
	}
	field := ""
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		field = typ.Field
	}
	return &ValidationError{Errors: []FieldError{{Field: field, Message: strings.TrimPrefix(err.Error(), "json: ")}}}
}

// DecodeProblem decodes a trusted problem document with Decode and
// validates it: it returns nil and a *ValidationError listing every
// problem if there is any.
func DecodeProblem(data []byte) (*Problem, error) {
	var p Problem
	if err := Decode(data, &p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("invalid JSON: more data after the document")
	}
	return nil
}

// FieldErrors names every field of a JSON document that cannot be
// decoded into a value of type t (a pointer type is followed): unknown
// fields (names match exactly), wrong types, numbers out of range, bad
// times and dates, each by its path ("work_orders[3].time_windows[0].start:
// want an RFC 3339 time…"). A strict decoder that refuses a document
// calls it to name every problem rather than the first; it returns nil
// when it finds none, or when the document is not JSON at all. It reads
// the whole document into memory as generic values, so the caller must
// have bounded its size and lists first.
func FieldErrors(data []byte, t reflect.Type) *ValidationError {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil
	}
	var c checker
	walk(&c, "", doc, t)
	if e := c.err(); e != nil {
		return e.(*ValidationError)
	}
	return nil
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	dateType      = reflect.TypeFor[Date]()
	unmarshalType = reflect.TypeFor[json.Unmarshaler]()
)

// walk checks a generic JSON value (decoded with UseNumber) against the Go
// type it is meant for, and reports every unknown field and wrong type.
func walk(c *checker, path string, x any, t reflect.Type) {
	if x == nil {
		return // null leaves a Go value as it is
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		s, ok := x.(string)
		if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
			c.add(path, "want an RFC 3339 time with offset, like 2026-11-23T08:00:00-08:00, got "+describe(x))
		}
		return
	case dateType:
		s, ok := x.(string)
		if _, err := ParseDate(s); !ok || err != nil {
			c.add(path, "want a date YYYY-MM-DD, got "+describe(x))
		}
		return
	}
	if t.Kind() != reflect.Struct && reflect.PointerTo(t).Implements(unmarshalType) {
		raw, _ := json.Marshal(x)
		if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
			c.add(path, err.Error())
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := x.(map[string]any)
		if !ok {
			c.add(path, "want an object, got "+describe(x))
			return
		}
		fields := jsonFields(t)
		for _, key := range sortedKeys(obj) {
			f, ok := lookupField(fields, key)
			if !ok {
				if len(key) > MaxIDLength {
					key = key[:MaxIDLength] + "…"
				}
				c.add(join(path, key), "unknown field"+suggest(key, fields))
				continue
			}
			walk(c, join(path, key), obj[key], f)
		}
	case reflect.Slice, reflect.Array:
		arr, ok := x.([]any)
		if !ok {
			c.add(path, "want an array, got "+describe(x))
			return
		}
		for i, el := range arr {
			walk(c, fmt.Sprintf("%s[%d]", path, i), el, t.Elem())
		}
	case reflect.Map:
		obj, ok := x.(map[string]any)
		if !ok {
			c.add(path, "want an object, got "+describe(x))
			return
		}
		for _, key := range sortedKeys(obj) {
			walk(c, join(path, key), obj[key], t.Elem())
		}
	case reflect.String:
		if _, ok := x.(string); !ok {
			c.add(path, "want a string, got "+describe(x))
		}
	case reflect.Bool:
		if _, ok := x.(bool); !ok {
			c.add(path, "want true or false, got "+describe(x))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := x.(json.Number)
		if !ok {
			c.add(path, "want an integer, got "+describe(x))
			return
		}
		if _, err := strconv.ParseInt(n.String(), 10, t.Bits()); err != nil {
			c.add(path, "want an integer, got "+n.String())
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := x.(json.Number)
		if !ok {
			c.add(path, "want a non-negative integer, got "+describe(x))
			return
		}
		if _, err := strconv.ParseUint(n.String(), 10, t.Bits()); err != nil {
			c.add(path, "want a non-negative integer, got "+n.String())
		}
	case reflect.Float32, reflect.Float64:
		n, ok := x.(json.Number)
		if !ok {
			c.add(path, "want a number, got "+describe(x))
			return
		}
		if _, err := strconv.ParseFloat(n.String(), t.Bits()); err != nil {
			c.add(path, "number out of range: "+n.String())
		}
	}
}

// jsonFields maps the JSON names of a struct's fields (including those of
// embedded structs, which are promoted) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, shadowed := out[k]; !shadowed {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// lookupField finds a field by its exact name: a name that differs
// only in case is unknown, as the strict decoder has it.
func lookupField(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	f, ok := fields[key]
	return f, ok
}

// suggest names a known field that differs from an unknown one by case,
// one typo or a missing unit suffix ("time_limit" for "time_limit_s"),
// the usual reasons a field is unknown.
func suggest(key string, fields map[string]reflect.Type) string {
	for _, name := range sortedKeys(fields) {
		if editDistance(strings.ToLower(name), strings.ToLower(key)) <= 1 || strings.HasPrefix(name, key+"_") {
			return fmt.Sprintf(" (did you mean %q?)", name)
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func describe(x any) string {
	switch v := x.(type) {
	case string:
		return Quote(v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprint(x)
}
