package check

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

// SolomonReport is Solomon's verdict on a plan.
type SolomonReport struct {
	// Feasible is true when Violations is empty.
	Feasible bool
	// Violations are "kind: message" strings naming the route and the
	// customer; the kinds are those of the independent DIMACS checker the
	// fixtures were judged by ("time window", "capacity", "depot due", "served twice", "unserved",
	// "unknown customer", "depot mid-route", "vehicle reused", "fleet",
	// "inconsistent").
	Violations []string
	// Routes is the number of routes that visit at least one customer.
	Routes int
	// Tenths is the total DIMACS distance in tenths of the instance's unit,
	// exact; Distance is the same in instance units.
	Tenths   int64
	Distance float64
	// Unserved is the number of customers no route visits.
	Unserved int
}

// Solomon judges a plan for a Solomon instance by the DIMACS 2021
// convention, trusting nothing in the plan but the order of the stops in
// each route: every arc's length and travel time is ArcTenths, and times,
// loads and distances are recomputed in exact integer tenths. A vehicle
// leaves the depot at its ready time, waits at a customer until the ready
// time, must start service by the due date, leaves after the service time,
// and must be back at the depot by the depot's due date; its load must not
// exceed the capacity. Every customer must be served exactly once by at most
// K routes, and no customer served may be listed unassigned.
//
// A stop's work_order_id is the customer number in decimal ("17"); stops
// of type "break" are ignored, and the depot "0" is allowed at either end
// of a route (as many VRPTW route files write it) but not in between. A
// route is named by its technician_id, or "#i" (its index) when it has none.
func Solomon(s *scenario.Solomon, plan model.Plan) SolomonReport {
	c := solomonChecker{s: s, servedBy: map[int]string{}}
	seen := map[string]bool{}
	for i := range plan.Routes {
		c.route(i, &plan.Routes[i], seen)
	}
	c.unassigned(plan.Unassigned)
	c.unserved()
	if c.rep.Routes > s.Vehicles {
		c.add("fleet", "%d routes > %d vehicles", c.rep.Routes, s.Vehicles)
	}
	c.rep.Feasible = len(c.rep.Violations) == 0
	c.rep.Distance = float64(c.rep.Tenths) / 10
	return c.rep
}

type solomonChecker struct {
	s        *scenario.Solomon
	servedBy map[int]string // customer -> the route that serves it
	rep      SolomonReport
}

func (c *solomonChecker) add(kind, format string, args ...any) {
	c.rep.Violations = append(c.rep.Violations, kind+": "+fmt.Sprintf(format, args...))
}

// customer returns the customer number a work order id names, if any.
func (c *solomonChecker) customer(id string) (int, bool) {
	n, err := strconv.Atoi(id)
	if err != nil || strconv.Itoa(n) != id || n < 0 || n >= len(c.s.Customers) {
		return 0, false
	}
	return n, true
}

// sequence returns the customers a route visits, in order, without the
// depot at either end.
func (c *solomonChecker) sequence(name string, r *model.Route) []int {
	var seq []int
	for _, st := range r.Stops {
		if st.IsBreak() {
			continue
		}
		n, ok := c.customer(st.WorkOrderID)
		if !ok {
			c.add("unknown customer", "route %s visits %q", name, st.WorkOrderID)
			continue
		}
		seq = append(seq, n)
	}
	for len(seq) > 0 && seq[0] == 0 {
		seq = seq[1:]
	}
	for len(seq) > 0 && seq[len(seq)-1] == 0 {
		seq = seq[:len(seq)-1]
	}
	return seq
}

// route times one route in tenths of the instance's time unit.
func (c *solomonChecker) route(i int, r *model.Route, seen map[string]bool) {
	name := r.TechnicianID
	if name == "" {
		name = "#" + strconv.Itoa(i)
	}
	seq := c.sequence(name, r)
	if len(seq) == 0 {
		return
	}
	if seen[name] {
		c.add("vehicle reused", "two routes for %s", name)
	}
	seen[name] = true
	c.rep.Routes++
	depot := c.s.Customers[0]
	t, load, prev := 10*depot.Ready, int64(0), 0
	for _, n := range seq {
		d := c.s.ArcTenths(prev, n)
		c.rep.Tenths += d
		prev = n
		if n == 0 {
			c.add("depot mid-route", "route %s returns to the depot between customers", name)
			t += d
			continue
		}
		if other, twice := c.servedBy[n]; twice {
			c.add("served twice", "customer %d on routes %s and %s", n, other, name)
		} else {
			c.servedBy[n] = name
		}
		cu := c.s.Customers[n]
		start := max(t+d, 10*cu.Ready)
		if start > 10*cu.Due {
			c.add("time window", "route %s: customer %d starts at %s > due %d", name, n, tenths(start), cu.Due)
		}
		t = start + 10*cu.Service
		load += cu.Demand
	}
	d := c.s.ArcTenths(prev, 0)
	c.rep.Tenths += d
	if back := t + d; back > 10*depot.Due {
		c.add("depot due", "route %s returns at %s > depot due %d", name, tenths(back), depot.Due)
	}
	if load > c.s.Capacity {
		c.add("capacity", "route %s: load %d > capacity %d", name, load, c.s.Capacity)
	}
}

// unassigned checks the plan's list of unassigned customers.
func (c *solomonChecker) unassigned(list []model.Unassigned) {
	for _, u := range list {
		n, ok := c.customer(u.WorkOrderID)
		switch {
		case !ok || n == 0:
			c.add("unknown customer", "unassigned lists %q", u.WorkOrderID)
		case c.servedBy[n] != "":
			c.add("inconsistent", "customer %d is served by route %s and listed unassigned", n, c.servedBy[n])
		}
	}
}

// unserved reports, in one violation, every customer that no route visits,
// in increasing order.
func (c *solomonChecker) unserved() {
	var missing []string
	for n := 1; n < len(c.s.Customers); n++ {
		if _, ok := c.servedBy[n]; !ok {
			missing = append(missing, strconv.Itoa(n))
		}
	}
	c.rep.Unserved = len(missing)
	if len(missing) > 0 {
		c.add("unserved", "%d customer(s) not served: %s", len(missing), strings.Join(missing, ", "))
	}
}

// tenths formats a count of tenths as a decimal: 1234 is "123.4".
func tenths(t int64) string {
	sign := ""
	if t < 0 {
		sign, t = "-", -t
	}
	return fmt.Sprintf("%s%d.%d", sign, t/10, t%10)
}
