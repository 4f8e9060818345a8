package model

import (
	"fmt"
	"strings"
)

// OutcomeCode says how a visit ended, from a fixed list so that close-outs
// can be counted and followed up (a needs_parts visit needs a return
// visit; a needs_quote one a salesperson).
type OutcomeCode string

// The outcome codes of a completed work order.
const (
	// OutcomeFixed: the fault is fixed, nothing more to do.
	OutcomeFixed OutcomeCode = "fixed"
	// OutcomeTemporaryFix: running again, but a permanent repair is due.
	OutcomeTemporaryFix OutcomeCode = "temporary_fix"
	// OutcomeNeedsParts: parts must be ordered; a return visit is needed.
	OutcomeNeedsParts OutcomeCode = "needs_parts"
	// OutcomeNeedsQuote: the work exceeds the order; the customer needs a
	// quote.
	OutcomeNeedsQuote OutcomeCode = "needs_quote"
	// OutcomeNoAccess: the technician could not get to the equipment.
	OutcomeNoAccess OutcomeCode = "no_access"
	// OutcomeCustomerCancelled: the customer called it off on site.
	OutcomeCustomerCancelled OutcomeCode = "customer_cancelled"
	// OutcomeNotFixed: the technician could not fix it.
	OutcomeNotFixed OutcomeCode = "not_fixed"
)

// OutcomeCodes lists every outcome code.
var OutcomeCodes = []OutcomeCode{OutcomeFixed, OutcomeTemporaryFix, OutcomeNeedsParts, OutcomeNeedsQuote,
	OutcomeNoAccess, OutcomeCustomerCancelled, OutcomeNotFixed}

// Known reports whether c is one of OutcomeCodes.
func (c OutcomeCode) Known() bool {
	for _, k := range OutcomeCodes {
		if c == k {
			return true
		}
	}
	return false
}

// Outcome is the structured close-out of a completed work order: what was
// done, how long it took and what it used.
type Outcome struct {
	Code  OutcomeCode `json:"code"`
	Notes string      `json:"notes,omitempty"`
	// LabourMinutes is the time worked, which may differ from the time on
	// site (two technicians, a break).
	LabourMinutes int `json:"labour_minutes,omitempty"`
	// Parts are the parts used, for billing and stock.
	Parts []PartUsed `json:"parts,omitempty"`
}

// PartUsed is a part fitted or consumed on a visit.
type PartUsed struct {
	// SKU identifies the part in the stock system; Name is what it is.
	SKU      string  `json:"sku,omitempty"`
	Name     string  `json:"name"`
	Quantity float64 `json:"quantity"`
}

// MaxLabourMinutes bounds an outcome's labour: a week.
const MaxLabourMinutes = 7 * 24 * 60

// Validate reports every problem with the outcome; field paths are
// relative to it.
func (o *Outcome) Validate() error {
	var v checker
	o.check(&v)
	return v.err()
}

func (o *Outcome) check(v *checker) {
	switch {
	case o.Code == "":
		v.add("code", "missing: want one of "+Spell(OutcomeCodes))
	case !o.Code.Known():
		v.add("code", fmt.Sprintf("unknown outcome %q: want one of %s", o.Code, Spell(OutcomeCodes)))
	}
	if o.LabourMinutes < 0 || o.LabourMinutes > MaxLabourMinutes {
		v.add("labour_minutes", fmt.Sprintf("want 0 to %d", MaxLabourMinutes))
	}
	for i, p := range o.Parts {
		v.enterIndex("parts", i)
		if strings.TrimSpace(p.Name) == "" && strings.TrimSpace(p.SKU) == "" {
			v.add("name", "missing: give a name or a sku")
		}
		if !(p.Quantity > 0) || p.Quantity > 1e6 {
			v.add("quantity", "want a positive number up to 1000000")
		}
		v.leave()
	}
}
