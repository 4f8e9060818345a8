package model

import "slices"

// WeightNames lists the weights by their JSON names, in the order Weights
// documents them: what a sensitivity sweep may vary and what a person may
// type.
func WeightNames() []string {
	var w Weights
	fields := w.fields()
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return names
}

// Weight returns the weight of the given JSON name, and whether there is
// one.
func (w Weights) Weight(name string) (float64, bool) {
	fields := w.fields()
	i := slices.IndexFunc(fields, func(f namedWeight) bool { return f.name == name })
	if i < 0 {
		return 0, false
	}
	return *fields[i].value, true
}

// SetWeight sets the weight of the given JSON name and reports whether
// there is one; an unknown name changes nothing.
func (w *Weights) SetWeight(name string, v float64) bool {
	fields := w.fields()
	i := slices.IndexFunc(fields, func(f namedWeight) bool { return f.name == name })
	if i < 0 {
		return false
	}
	*fields[i].value = v
	return true
}
