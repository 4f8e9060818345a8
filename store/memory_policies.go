package store

import (
	"context"
	"slices"
	"strings"

	"github.com/dispatchd/dispatchd/model"
)

// policyBook is the memory store's policy book; the Memory's lock guards
// it.
type policyBook struct {
	byName  map[string]model.Policy
	active  string
	history []model.PolicyChange
}

// write makes a change's writes to the book (the caller holds the lock
// and has checked the guards).
func (b *policyBook) write(c Change) {
	for _, p := range c.Policies {
		b.byName[p.Name] = p
	}
	for _, name := range c.DeletePolicies {
		delete(b.byName, name)
	}
	if c.Activate != "" {
		b.active = c.Activate
	}
	for _, h := range c.PolicyLog {
		b.history = append(b.history, clonePolicyChange(h))
	}
}

// PolicyBook returns the policy book as it stands, with its revision, in
// one read.
func (m *Memory) PolicyBook(context.Context) (PolicyBook, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := PolicyBook{Policies: make([]model.Policy, 0, len(m.policies.byName)), Active: m.policies.active, Revision: m.revs[PoliciesKey]}
	for _, p := range m.policies.byName {
		out.Policies = append(out.Policies, p)
	}
	slices.SortFunc(out.Policies, func(a, b model.Policy) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// PolicyHistory returns the policy book's changes, oldest first, numbered
// from 1: the newest limit of them, or all when limit is 0 or less.
func (m *Memory) PolicyHistory(_ context.Context, limit int) ([]model.PolicyChange, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	hs := m.policies.history
	first := 0
	if limit > 0 && len(hs) > limit {
		first = len(hs) - limit
	}
	out := make([]model.PolicyChange, 0, len(hs)-first)
	for i := first; i < len(hs); i++ {
		h := clonePolicyChange(hs[i])
		h.Seq = i + 1
		out = append(out, h)
	}
	return out, nil
}
