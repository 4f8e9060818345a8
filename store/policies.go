package store

import "github.com/dispatchd/dispatchd/model"

// PolicyBook is the stored policy book at one revision: the named
// policies, sorted by name, and the name of the active one ("" when none
// was ever activated). Revision is PoliciesKey's at the moment of the
// read, which a change of the book guards on and a cache of it compares.
// The book holds only what was written: the built-in default policy is
// the dispatch layer's to add.
type PolicyBook struct {
	Policies []model.Policy
	Active   string
	Revision int64
}

// clonePolicyChange copies a history entry so that its policies are not
// shared.
func clonePolicyChange(h model.PolicyChange) model.PolicyChange {
	if h.From != nil {
		p := *h.From
		h.From = &p
	}
	if h.To != nil {
		p := *h.To
		h.To = &p
	}
	return h
}
