package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// fill sets every field reachable from v to a non-zero value: pointers
// point at filled values, slices and maps hold one filled element.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem())
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.SetBytes([]byte(`"x"`))
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	}
}

// scribble changes every value reached through a pointer, slice or map
// of v, the parts a shallow copy would share.
func scribble(v reflect.Value, shared bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			scribble(v.Elem(), true)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			if shared {
				v.Set(reflect.ValueOf(time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC)))
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				scribble(v.Field(i), shared)
			}
		}
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			v.Index(1).SetUint('y') // still JSON: "y"
			return
		}
		for i := range v.Len() {
			scribble(v.Index(i), true)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			scribble(e, true)
			if e.Kind() != reflect.Map && e.Kind() != reflect.Slice && e.Kind() != reflect.Pointer {
				e = reflect.New(v.Type().Elem()).Elem() // the zero value differs from the filled one
			}
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		if shared {
			v.SetString("changed")
		}
	case reflect.Bool:
		if shared {
			v.SetBool(false)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if shared {
			v.SetInt(7)
		}
	case reflect.Float32, reflect.Float64:
		if shared {
			v.SetFloat(7)
		}
	}
}

// TestClonesShareNothing fills every field of the records the memory store
// keeps, changes everything a clone could share with its original, and
// checks that the clone was equal and the original did not change: a field
// added to the model without a deep copy in clone.go fails here.
func TestClonesShareNothing(t *testing.T) {
	check := func(t *testing.T, orig any, clone func() any) {
		t.Helper()
		before, err := json.Marshal(orig)
		if err != nil {
			t.Fatal(err)
		}
		c := clone()
		if copied, _ := json.Marshal(c); string(copied) != string(before) {
			t.Errorf("the clone differs from the original:\noriginal %s\nclone    %s", before, copied)
		}
		scribble(reflect.ValueOf(c).Elem(), false)
		after, _ := json.Marshal(orig)
		if string(before) != string(after) {
			t.Errorf("changing the clone changed the original:\nbefore %s\nafter  %s", before, after)
		}
	}
	t.Run("WorkOrder", func(t *testing.T) {
		var w model.WorkOrder
		fill(reflect.ValueOf(&w).Elem())
		check(t, &w, func() any { c := cloneWorkOrder(w); return &c })
	})
	t.Run("HistoryEntry", func(t *testing.T) {
		var h model.HistoryEntry
		fill(reflect.ValueOf(&h).Elem())
		check(t, &h, func() any { c := cloneHistory(h); return &c })
	})
	t.Run("Technician", func(t *testing.T) {
		var tech model.Technician
		fill(reflect.ValueOf(&tech).Elem())
		check(t, &tech, func() any { c := cloneTechnician(tech); return &c })
	})
}
