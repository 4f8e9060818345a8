package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// The policy book is the operators' named scheduling policies, the name of
// the active one and every change made to them. Suggestions and plans are
// priced by the active policy unless a request carries weights or names a
// policy of its own, which changes nothing stored.
//
// The built-in policy "default" (model.DefaultPolicy) is always in the
// book: until an operator puts a policy of that name, it is the built-in
// one. It may be replaced (PUT it, or PUT the weights while it is active)
// but never deleted, so that there is always a policy to fall back to;
// putting it with the default weights (PUT /v1/policies/default with {})
// restores the built-in weights. The active policy cannot be deleted
// either: activate another first. Both refusals are conflicts.
//
// Every change of the book is one store.Change guarded by the book's
// revision (store.PoliciesKey): two operators changing policies at once on
// any replicas never lose an update; the loser decides again on what the
// winner wrote. The change carries its history entry (who, when, from and
// to) and its event, written together or not at all; a refused change
// writes nothing.
//
// Each replica keeps the book it last read with its revision, and checks
// the revision on every request that needs the active policy — in the
// same HMGET as the stored day's revisions on the stored paths, one small
// read more on the inline ones — so that a policy activated on any
// replica is the one every replica uses from its next request on.

// PolicyBook is the policy book as operators see it: every policy, the
// built-in default among them, sorted by name, and the active one's name.
type PolicyBook struct {
	Active   string         `json:"active"`
	Policies []model.Policy `json:"policies"`
}

// ReservedPolicyNames are names no policy may take: they are words of the
// API's paths under /v1/policies, where a policy of that name could not
// be read back.
var ReservedPolicyNames = []string{"history", "compare"}

// PolicyChoice is what a request says about the policy that prices it:
// weights of its own, a stored policy by name, or neither — the active
// policy. Giving both is refused.
type PolicyChoice struct {
	Weights *model.Weights
	Name    string
}

// policyCache is the policy book as this replica last read it, at its
// revision, with the default added (withDefault): what every request that
// needs a policy reads when the revision has not moved.
type policyCache struct {
	mu   sync.Mutex
	ok   bool
	rev  int64
	view PolicyBook
}

// withDefault returns the stored book with the built-in default added when
// no policy of its name was put, and the active name filled in.
func withDefault(b store.PolicyBook) PolicyBook {
	out := PolicyBook{Active: b.Active, Policies: slices.Clone(b.Policies)}
	if out.Active == "" {
		out.Active = model.DefaultPolicyName
	}
	if _, ok := lookup(b.Policies, model.DefaultPolicyName); !ok {
		out.Policies = append(out.Policies, model.DefaultPolicy())
		slices.SortFunc(out.Policies, func(a, b model.Policy) int { return strings.Compare(a.Name, b.Name) })
	}
	return out
}

// lookup finds a policy by name.
func lookup(ps []model.Policy, name string) (model.Policy, bool) {
	i := slices.IndexFunc(ps, func(p model.Policy) bool { return p.Name == name })
	if i < 0 {
		return model.Policy{}, false
	}
	return ps[i], true
}

// named returns a policy of the book (the built-in default included).
func (b *PolicyBook) named(name string) (model.Policy, bool) { return lookup(b.Policies, name) }

// active returns the active policy.
func (b *PolicyBook) active() model.Policy {
	if p, ok := b.named(b.Active); ok {
		return p
	}
	// The active policy cannot be deleted, so this is a book written
	// by hand; the default is what it would fall back to.
	return model.DefaultPolicy()
}

// bookAt returns the policy book at revision rev: the cached one if it is
// at rev, else the store's (which is cached in its place). Its slice is
// shared with the cache: read it, do not change it.
func (s *Service) bookAt(ctx context.Context, rev int64) (PolicyBook, error) {
	s.book.mu.Lock()
	ok, at, view := s.book.ok, s.book.rev, s.book.view
	s.book.mu.Unlock()
	if ok && at == rev {
		return view, nil
	}
	b, err := s.store.PolicyBook(ctx)
	if err != nil {
		return PolicyBook{}, fmt.Errorf("dispatch: reading the policy book: %w", err)
	}
	view = withDefault(b)
	s.book.mu.Lock()
	if !s.book.ok || s.book.rev <= b.Revision {
		s.book.ok, s.book.rev, s.book.view = true, b.Revision, view
	}
	s.book.mu.Unlock()
	return view, nil
}

// currentBook returns the policy book as the store has it now, at the cost
// of one revision read when the cached book is current.
func (s *Service) currentBook(ctx context.Context) (PolicyBook, error) {
	rev, err := s.store.Revisions(ctx, store.PoliciesKey)
	if err != nil {
		return PolicyBook{}, fmt.Errorf("dispatch: checking the policy book: %w", err)
	}
	return s.bookAt(ctx, rev[0])
}

// Policies returns the policy book: every policy and the active one's
// name. Its slice may be shared with the service's cache: read it, do not
// change it.
func (s *Service) Policies(ctx context.Context) (PolicyBook, error) { return s.currentBook(ctx) }

// Policy returns the policy of the name, or an error of kind ErrNotFound.
func (s *Service) Policy(ctx context.Context, name string) (model.Policy, error) {
	b, err := s.currentBook(ctx)
	if err != nil {
		return model.Policy{}, err
	}
	p, ok := b.named(name)
	if !ok {
		return model.Policy{}, fmt.Errorf("dispatch: no policy is named %s: %w", model.Quote(name), model.ErrNotFound)
	}
	return p, nil
}

// ActivePolicy returns the policy suggestions and plans use when a
// request names none.
func (s *Service) ActivePolicy(ctx context.Context) (model.Policy, error) {
	b, err := s.currentBook(ctx)
	if err != nil {
		return model.Policy{}, err
	}
	return b.active(), nil
}

// PolicyHistory returns the book's changes, oldest first, numbered from 1:
// the newest limit of them, all when limit is 0.
func (s *Service) PolicyHistory(ctx context.Context, limit int) ([]model.PolicyChange, error) {
	if limit < 0 {
		return nil, invalid("limit", "negative")
	}
	h, err := s.store.PolicyHistory(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("dispatch: reading the policy history: %w", err)
	}
	return h, nil
}

// ResolvePolicy returns the policy a request is priced by: its own weights
// (under the default score scale, unvalidated: the request's validation
// names them), the stored policy it names, or the active one. Weights and
// a name together, or a name no policy has, are invalid, naming the field
// "policy".
func (s *Service) ResolvePolicy(ctx context.Context, c PolicyChoice) (model.Policy, error) {
	if c.Weights != nil {
		if c.Name != "" {
			return model.Policy{}, invalid("policy", "give weights or policy, not both")
		}
		return model.Policy{Weights: *c.Weights}, nil
	}
	b, err := s.currentBook(ctx)
	if err != nil {
		return model.Policy{}, err
	}
	return choose(&b, c.Name)
}

// choose returns the book's policy of the name, or the active one when
// the name is empty.
func choose(b *PolicyBook, name string) (model.Policy, error) {
	if name == "" {
		return b.active(), nil
	}
	p, ok := b.named(name)
	if !ok {
		return model.Policy{}, invalid("policy", "no policy is named %s; GET /v1/policies lists them", model.Quote(name))
	}
	return p, nil
}

// policyAt resolves a choice against the book at a revision the caller
// has read (with the stored day's revisions, in one read).
func (s *Service) policyAt(ctx context.Context, c PolicyChoice, rev int64) (model.Policy, error) {
	if c.Weights != nil || rev < 0 {
		return s.ResolvePolicy(ctx, c)
	}
	b, err := s.bookAt(ctx, rev)
	if err != nil {
		return model.Policy{}, err
	}
	return choose(&b, c.Name)
}

// checkPolicy validates a policy to store under name: the name of the path
// (a body's own name, if any, must agree), every field of it, and no
// reserved name. Its score scale is made explicit.
func checkPolicy(name string, p *model.Policy) error {
	if p.Name != "" && p.Name != name {
		return invalid("name", "%s differs from the policy's name in the path, %s", model.Quote(p.Name), model.Quote(name))
	}
	p.Name = name
	var errs []model.FieldError
	var ve *model.ValidationError
	if err := p.Validate(); errors.As(err, &ve) {
		errs = ve.Errors
	} else if err != nil {
		return err
	}
	if slices.Contains(ReservedPolicyNames, name) {
		errs = append(errs, model.FieldError{Field: "name", Message: fmt.Sprintf("%s is reserved: /v1/policies/%s is a route of its own", model.Quote(name), name)})
	}
	if len(errs) > 0 {
		return &model.ValidationError{Errors: errs}
	}
	p.ScoreScale = p.Scale()
	return nil
}

// PutPolicy creates or replaces the policy of the name (p.Name, if given,
// must be the same) for the actor, and reports whether it created one. A
// policy equal to the stored one changes nothing and records nothing.
// Replacing the active policy changes what suggestions and plans use at
// once.
func (s *Service) PutPolicy(ctx context.Context, name string, p model.Policy, by Actor) (model.Policy, bool, error) {
	if err := checkPolicy(name, &p); err != nil {
		return model.Policy{}, false, err
	}
	created := false
	err := s.bookChange(ctx, "putting policy "+name, func(b *store.PolicyBook, book *PolicyBook) (store.Change, error) {
		old, had := book.named(name)
		_, stored := lookup(b.Policies, name)
		created = !had
		if had && old == p && stored {
			return store.Change{}, errBookUnchanged
		}
		h := s.policyEntry(model.PolicyUpdated, name, by)
		if created {
			h.Action = model.PolicyCreated
		} else {
			h.From = &old
		}
		h.To, h.Active = &p, book.Active == name
		return store.Change{Policies: []model.Policy{p}, PolicyLog: []model.PolicyChange{h}}, nil
	})
	if err != nil {
		return model.Policy{}, false, err
	}
	return p, created, nil
}

// PutActiveWeights replaces the weights of the active policy (the simple
// form of PutPolicy) and returns the policy as it now is.
func (s *Service) PutActiveWeights(ctx context.Context, w model.Weights, by Actor) (model.Policy, error) {
	if err := w.Validate(); err != nil {
		return model.Policy{}, err
	}
	for attempt := 1; ; attempt++ {
		active, err := s.ActivePolicy(ctx)
		if err != nil {
			return model.Policy{}, err
		}
		p := active
		p.Weights = w
		// Guarded by the name: if another policy was activated meanwhile,
		// the weights are not put on it (nor on the one that was).
		var out model.Policy
		err = s.bookChange(ctx, "putting the active policy's weights", func(b *store.PolicyBook, book *PolicyBook) (store.Change, error) {
			if book.Active != active.Name {
				return store.Change{}, errActivated
			}
			old, _ := book.named(active.Name)
			p.Description, p.ScoreScale = old.Description, old.Scale()
			out = p
			_, stored := lookup(b.Policies, p.Name)
			if old == p && stored {
				return store.Change{}, errBookUnchanged
			}
			h := s.policyEntry(model.PolicyUpdated, p.Name, by)
			h.From, h.To, h.Active = &old, &p, true
			return store.Change{Policies: []model.Policy{p}, PolicyLog: []model.PolicyChange{h}}, nil
		})
		switch {
		case !errors.Is(err, errActivated):
			return out, err
		case attempt == maxAttempts:
			return model.Policy{}, fmt.Errorf("dispatch: putting the active policy's weights: policies kept being activated meanwhile, try again: %w", model.ErrConflict)
		}
	}
}

// DeletePolicy deletes a policy for the actor. The built-in default and
// the active policy are never deleted (ErrConflict); an unknown name is
// ErrNotFound.
func (s *Service) DeletePolicy(ctx context.Context, name string, by Actor) error {
	if name == model.DefaultPolicyName {
		return fmt.Errorf("dispatch: the policy %s is built in and cannot be deleted; put it to change it: %w", name, model.ErrConflict)
	}
	return s.bookChange(ctx, "deleting policy "+name, func(b *store.PolicyBook, book *PolicyBook) (store.Change, error) {
		old, ok := book.named(name)
		if !ok {
			return store.Change{}, fmt.Errorf("dispatch: no policy is named %s: %w", model.Quote(name), model.ErrNotFound)
		}
		if book.Active == name {
			return store.Change{}, fmt.Errorf("dispatch: the policy %s is the active one; activate another before deleting it: %w", name, model.ErrConflict)
		}
		h := s.policyEntry(model.PolicyDeleted, name, by)
		h.From = &old
		return store.Change{DeletePolicies: []string{name}, PolicyLog: []model.PolicyChange{h}}, nil
	})
}

// ActivatePolicy makes the named policy the one suggestions and plans use
// when a request names none, for the actor, and returns it. Activating
// the active policy changes nothing; an unknown name is ErrNotFound.
func (s *Service) ActivatePolicy(ctx context.Context, name string, by Actor) (model.Policy, error) {
	var out model.Policy
	err := s.bookChange(ctx, "activating policy "+name, func(b *store.PolicyBook, book *PolicyBook) (store.Change, error) {
		p, ok := book.named(name)
		if !ok {
			return store.Change{}, fmt.Errorf("dispatch: no policy is named %s: %w", model.Quote(name), model.ErrNotFound)
		}
		out = p
		if book.Active == name {
			return store.Change{}, errBookUnchanged
		}
		was := book.active()
		h := s.policyEntry(model.PolicyActivated, name, by)
		h.From, h.To, h.Active = &was, &p, true
		return store.Change{Activate: name, PolicyLog: []model.PolicyChange{h}}, nil
	})
	return out, err
}

// LoadPolicies puts policies and, if active is not empty, activates it, in
// one change for the actor, each entry of the history saying reason: what
// serve --policy does at start. Policies equal to the stored ones, and an
// active policy already active, record nothing. Every policy is checked
// before anything is written; active must name one of ps or a stored
// policy.
func (s *Service) LoadPolicies(ctx context.Context, ps []model.Policy, active string, by Actor, reason string) error {
	var errs []model.FieldError
	seen := map[string]bool{}
	for i := range ps {
		var ve *model.ValidationError
		if err := checkPolicy(ps[i].Name, &ps[i]); errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				errs = append(errs, model.FieldError{Field: fmt.Sprintf("policies[%d].%s", i, fe.Field), Message: fe.Message})
			}
		} else if err != nil {
			return err
		}
		if seen[ps[i].Name] {
			errs = append(errs, model.FieldError{Field: fmt.Sprintf("policies[%d].name", i), Message: fmt.Sprintf("%s given twice", model.Quote(ps[i].Name))})
		}
		seen[ps[i].Name] = true
	}
	if len(errs) > 0 {
		return &model.ValidationError{Errors: errs}
	}
	return s.bookChange(ctx, "loading policies", func(b *store.PolicyBook, book *PolicyBook) (store.Change, error) {
		var c store.Change
		for _, p := range ps {
			old, had := book.named(p.Name)
			_, stored := lookup(b.Policies, p.Name)
			if had && old == p && stored {
				continue
			}
			h := s.policyEntry(model.PolicyCreated, p.Name, by)
			if had {
				h.Action, h.From = model.PolicyUpdated, &old
			}
			h.To, h.Active, h.Reason = &p, book.Active == p.Name, reason
			c.Policies = append(c.Policies, p)
			c.PolicyLog = append(c.PolicyLog, h)
		}
		if active != "" && active != book.Active {
			p, ok := lookup(ps, active)
			if !ok {
				if p, ok = book.named(active); !ok {
					return store.Change{}, invalid("active", "no policy is named %s", model.Quote(active))
				}
			}
			was := book.active()
			h := s.policyEntry(model.PolicyActivated, active, by)
			h.From, h.To, h.Active, h.Reason = &was, &p, true, reason
			c.Activate = active
			c.PolicyLog = append(c.PolicyLog, h)
		}
		if !store.WritesPolicies(c) {
			return store.Change{}, errBookUnchanged
		}
		return c, nil
	})
}

// errBookUnchanged ends a book change that would change nothing: it is not
// committed, and not an error to the caller.
var errBookUnchanged = errors.New("dispatch: the policy book already says so")

// errActivated says another policy was activated while the active one's
// weights were being put.
var errActivated = errors.New("dispatch: another policy was activated meanwhile")

// policyEntry starts a history entry of the book, now, by the actor.
func (s *Service) policyEntry(action model.PolicyAction, name string, by Actor) model.PolicyChange {
	return model.PolicyChange{At: s.now(), Action: action, Name: name, By: by.Name, ByKey: by.KeyID}
}

// bookChange runs a read-decide-commit step on the policy book: decide
// reads the stored book (b) and the book as operators see it (book) and
// returns the change, guarded here by the book's revision. A change that
// lost a race is decided again on the fresh book.
func (s *Service) bookChange(ctx context.Context, doing string, decide func(b *store.PolicyBook, book *PolicyBook) (store.Change, error)) error {
	err := s.retry(ctx, doing, func() (store.Change, error) {
		b, err := s.store.PolicyBook(ctx)
		if err != nil {
			return store.Change{}, fmt.Errorf("dispatch: %s: reading the policy book: %w", doing, err)
		}
		book := withDefault(b)
		c, err := decide(&b, &book)
		if err != nil {
			return store.Change{}, err
		}
		c.Guards = append(c.Guards, store.Guard{Key: store.PoliciesKey, Rev: b.Revision})
		return c, nil
	})
	if errors.Is(err, errBookUnchanged) {
		return nil
	}
	return err
}

// policyEvents are the events of a change's policy history entries.
func policyEvents(c store.Change) []model.Event {
	out := make([]model.Event, 0, len(c.PolicyLog))
	for i := range c.PolicyLog {
		h := c.PolicyLog[i]
		t := model.EventPolicyUpdated
		switch h.Action {
		case model.PolicyDeleted:
			t = model.EventPolicyDeleted
		case model.PolicyActivated:
			t = model.EventPolicyActivated
		}
		out = append(out, model.Event{Type: t, At: h.At, Actor: h.By, ActorKey: h.ByKey, Policy: &h})
	}
	return out
}
