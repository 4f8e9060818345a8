package dispatch

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/dispatchd/dispatchd/model"
	"gonum.org/v1/gonum/stat"
)

// Comparison is the answer of a compare: each policy's plan, measured the
// same way and priced under every policy, and the table that sets them
// side by side. The terminal table, the HTTP answer and the HTML report
// all read it.
type Comparison struct {
	// Order lists the policies by name in the order they were given (the
	// sweep's points last): the columns of Table and of the matrix.
	Order []string `json:"order"`
	// Policies are the outcomes by policy name.
	Policies map[string]*PolicyOutcome `json:"policies"`
	// Table is the side-by-side table: one row per KPI, one value per
	// policy of Order.
	Table []KPIRow `json:"table"`
	// Matrix is each plan's objective under each policy: Matrix[i][j] is
	// the plan of Order[i] priced under Order[j]'s weights; the diagonal
	// is each plan's own objective. A policy without a plan (never run:
	// the compare was cancelled first) has a row of NaN (null in JSON).
	Matrix [][]Number `json:"objective_matrix"`
	// Sweep, for a compare with a sweep, is how every KPI moves with the
	// weight.
	Sweep *SweepResult `json:"sweep,omitempty"`
	// LeftOut are the orders some plan leaves out, by id: their priority
	// and place, which the plans' unassigned lists (id and reasons) do not
	// carry. Depots are where each technician's day starts. With them the
	// comparison draws its maps and lists its unassigned orders without
	// the problem it was made from.
	LeftOut map[string]OrderBrief `json:"left_out_orders"`
	Depots  []Depot               `json:"depots"`
}

// OrderBrief is what a report shows of an order it does not route.
type OrderBrief struct {
	Priority model.Priority `json:"priority"`
	Location model.Location `json:"location"`
}

// Depot is where a technician's day starts.
type Depot struct {
	TechnicianID string         `json:"technician_id"`
	Location     model.Location `json:"location"`
}

// PolicyOutcome is one policy's plan in a compare and what it came to.
type PolicyOutcome struct {
	Policy model.Policy `json:"policy"`
	// Status is done, cancelled (the best plan found is kept, if there was
	// one), failed, or pending (never started: the compare was cancelled
	// first).
	Status     string  `json:"status"`
	Elapsed    float64 `json:"elapsed_s"`
	Iterations int     `json:"iterations"`
	// KPIs are the plan's measures for people.
	KPIs CompareKPIs `json:"kpis"`
	// Objective is the plan's objective under its own policy;
	// ObjectiveUnder under every policy of the compare, by name.
	Objective      float64            `json:"objective"`
	ObjectiveUnder map[string]float64 `json:"objective_under"`
	// Plan is the plan itself: routes to draw, and the orders left out
	// with their reasons.
	Plan *model.Plan `json:"plan,omitempty"`
}

// CompareKPIs are a plan's numbers as an operator weighs one policy
// against another. Orders are counted once however many technicians they
// need.
type CompareKPIs struct {
	Assigned   int `json:"assigned"`
	Unassigned int `json:"unassigned"`
	// UnassignedByPriority counts the orders left out by priority; every
	// priority is present.
	UnassignedByPriority map[model.Priority]int `json:"unassigned_by_priority"`
	Travel               model.Seconds          `json:"travel_s"`
	Distance             float64                `json:"distance_m"`
	// LateOrders count the assigned orders that end past their SLA
	// deadline, by Lateness in all and WorstLateness the latest.
	LateOrders    int           `json:"late_orders"`
	Lateness      model.Seconds `json:"lateness_s"`
	WorstLateness model.Seconds `json:"worst_lateness_s"`
	Overtime      model.Seconds `json:"overtime_s"`
	// TechniciansUsed counts the technicians with work in the plan.
	TechniciansUsed int `json:"technicians_used"`
	// Utilisation is, over the active technicians of the problem (idle
	// ones included, at 0), the share of their shift spent working;
	// WorkMinutes the minutes of service each is given. Their spread is
	// what workload_balance weighs.
	Utilisation Spread `json:"utilisation"`
	WorkMinutes Spread `json:"work_min"`
	// SkillSurplus is the levels of skill above the required ones.
	SkillSurplus float64 `json:"skill_surplus_levels"`
	// PreferredOrders counts the assigned orders that name preferred
	// technicians; PreferredHits those done by one of them.
	PreferredOrders int `json:"preferred_orders"`
	PreferredHits   int `json:"preferred_hits"`
	// PlanChanges counts the orders given to someone other than the
	// technicians their current dispatch names.
	PlanChanges int `json:"plan_changes"`
}

// Spread summarises one number per technician: the mean and population
// standard deviation over the crew, the least, the median and the most.
type Spread struct {
	Mean   float64 `json:"mean"`
	StdDev float64 `json:"std_dev"`
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
}

// spreadOf summarises xs with gonum's statistics: the crew is the whole
// population, not a sample of one, hence the population deviation.
func spreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	mean, std := stat.PopMeanStdDev(sorted, nil)
	return Spread{Mean: round4(mean), StdDev: round4(std), Min: sorted[0], Median: round4(stat.Quantile(0.5, stat.Empirical, sorted, nil)),
		Max: sorted[len(sorted)-1]}
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// kpisOf measures plan, made for problem p.
func kpisOf(p *model.Problem, plan *model.Plan) CompareKPIs {
	orders := make(map[string]*model.WorkOrder, len(p.WorkOrders))
	for i := range p.WorkOrders {
		orders[p.WorkOrders[i].ID] = &p.WorkOrders[i]
	}
	k := CompareKPIs{UnassignedByPriority: map[model.Priority]int{}, Travel: plan.KPIs.Travel, Distance: plan.KPIs.Distance,
		Overtime: plan.KPIs.Overtime, TechniciansUsed: plan.KPIs.TechniciansUsed,
		SkillSurplus: round4(plan.Measures.SkillSurplus), PlanChanges: int(math.Round(plan.Measures.PlanChange))}
	for _, pr := range model.Priorities {
		k.UnassignedByPriority[pr] = 0
	}
	for _, u := range plan.Unassigned {
		k.Unassigned++
		pr := model.PriorityNormal
		if w := orders[u.WorkOrderID]; w != nil && w.Priority != "" {
			pr = w.Priority
		}
		k.UnassignedByPriority[pr]++
	}
	// An order in several routes (a crew) is one order, late by the most
	// any of its stops is, preferred if any of its technicians is.
	type seen struct {
		late      model.Seconds
		preferred bool
	}
	assigned := map[string]*seen{}
	work := map[string]model.Seconds{}
	for _, r := range plan.Routes {
		work[r.TechnicianID] += r.Work
		for _, st := range r.Stops {
			if st.IsBreak() {
				continue
			}
			a := assigned[st.WorkOrderID]
			if a == nil {
				a = &seen{}
				assigned[st.WorkOrderID] = a
			}
			a.late = max(a.late, st.Lateness)
			if w := orders[st.WorkOrderID]; w != nil && w.Prefers(r.TechnicianID) {
				a.preferred = true
			}
		}
	}
	k.Assigned = len(assigned)
	for id, a := range assigned {
		if a.late > 0 {
			k.LateOrders++
			k.Lateness += a.late
			k.WorstLateness = max(k.WorstLateness, a.late)
		}
		if w := orders[id]; w != nil && len(w.PreferredTechnicians) > 0 {
			k.PreferredOrders++
			if a.preferred {
				k.PreferredHits++
			}
		}
	}
	var util, minutes []float64
	for i := range p.Technicians {
		t := &p.Technicians[i]
		if !t.IsActive() {
			continue
		}
		w := work[t.ID].Duration()
		minutes = append(minutes, w.Minutes())
		if shift := t.Shift.End.Sub(t.Shift.Start); shift > 0 {
			util = append(util, float64(w)/float64(shift))
		} else {
			util = append(util, 0)
		}
	}
	k.Utilisation, k.WorkMinutes = spreadOf(util), spreadOf(minutes)
	return k
}

// newComparison measures and prices the outcomes of the policies of a
// compare, in order, and lays out the table.
func newComparison(p *model.Problem, outcomes []*PolicyOutcome, sweep *Sweep) *Comparison {
	c := &Comparison{Policies: make(map[string]*PolicyOutcome, len(outcomes)), LeftOut: map[string]OrderBrief{}, Depots: []Depot{}}
	for i := range p.Technicians {
		t := &p.Technicians[i]
		c.Depots = append(c.Depots, Depot{TechnicianID: t.ID, Location: t.Start})
	}
	orders := make(map[string]*model.WorkOrder, len(p.WorkOrders))
	for i := range p.WorkOrders {
		orders[p.WorkOrders[i].ID] = &p.WorkOrders[i]
	}
	for _, o := range outcomes {
		c.Order = append(c.Order, o.Policy.Name)
		c.Policies[o.Policy.Name] = o
	}
	c.Matrix = make([][]Number, len(outcomes))
	for i, o := range outcomes {
		c.Matrix[i] = make([]Number, len(outcomes))
		o.ObjectiveUnder = map[string]float64{}
		if o.Plan == nil {
			for j := range c.Matrix[i] {
				c.Matrix[i][j] = Number(math.NaN())
			}
			continue
		}
		o.KPIs = kpisOf(p, o.Plan)
		o.Objective = o.Plan.Objective
		for _, u := range o.Plan.Unassigned {
			if w := orders[u.WorkOrderID]; w != nil {
				pr := w.Priority
				if pr == "" {
					pr = model.PriorityNormal
				}
				c.LeftOut[u.WorkOrderID] = OrderBrief{Priority: pr, Location: w.Location}
			}
		}
		for j, under := range outcomes {
			x := under.Policy.Weights.Price(o.Plan.Measures).Total()
			c.Matrix[i][j] = Number(x)
			o.ObjectiveUnder[under.Policy.Name] = x
		}
	}
	c.Table = tableOf(outcomes)
	if sweep != nil {
		c.Sweep = sweepOf(sweep, c.Table, len(outcomes)-len(sweep.Values))
	}
	return c
}

// KPIRow is one row of the compare table: a KPI, its unit, which way is
// better, and its value under each policy, in the unit shown.
type KPIRow struct {
	// Key names the KPI for programs ("travel_min"), Label for people.
	Key   string `json:"key"`
	Label string `json:"label"`
	Unit  string `json:"unit"`
	// Better is "lower" or "higher" when one way is better, else "".
	Better string `json:"better,omitempty"`
	// Values are one per policy, in the comparison's order; a policy
	// without a plan shows NaN in Go and null in JSON.
	Values []Number `json:"values"`
}

// Number is a table value: JSON null for a policy without a plan.
type Number float64

// MarshalJSON writes NaN as null.
func (x Number) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(x)) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(x), 'g', -1, 64), nil
}

// UnmarshalJSON reads null as NaN.
func (x *Number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = Number(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*x = Number(f)
	return nil
}

// kpiDef is a row of the table and how to read it off a plan's KPIs.
type kpiDef struct {
	key, label, unit, better string
	of                       func(k *CompareKPIs) float64
}

func minutes(s model.Seconds) float64 { return round4(float64(s) / 60) }

// kpiDefs are the table's rows, in the order an operator reads them:
// what is done, then the cost of doing it, then how fair and how fit.
var kpiDefs = []kpiDef{
	{"assigned", "assigned", "orders", "higher", func(k *CompareKPIs) float64 { return float64(k.Assigned) }},
	{"unassigned", "unassigned", "orders", "lower", func(k *CompareKPIs) float64 { return float64(k.Unassigned) }},
	{"unassigned_emergency", "  unassigned emergency", "orders", "lower", func(k *CompareKPIs) float64 { return float64(k.UnassignedByPriority[model.PriorityEmergency]) }},
	{"unassigned_high", "  unassigned high", "orders", "lower", func(k *CompareKPIs) float64 { return float64(k.UnassignedByPriority[model.PriorityHigh]) }},
	{"unassigned_normal", "  unassigned normal", "orders", "lower", func(k *CompareKPIs) float64 { return float64(k.UnassignedByPriority[model.PriorityNormal]) }},
	{"unassigned_low", "  unassigned low", "orders", "lower", func(k *CompareKPIs) float64 { return float64(k.UnassignedByPriority[model.PriorityLow]) }},
	{"travel_min", "travel time", "min", "lower", func(k *CompareKPIs) float64 { return minutes(k.Travel) }},
	{"distance_km", "travel distance", "km", "lower", func(k *CompareKPIs) float64 { return round4(k.Distance / 1000) }},
	{"late_orders", "late orders", "orders", "lower", func(k *CompareKPIs) float64 { return float64(k.LateOrders) }},
	{"lateness_min", "lateness", "min", "lower", func(k *CompareKPIs) float64 { return minutes(k.Lateness) }},
	{"worst_lateness_min", "worst lateness", "min", "lower", func(k *CompareKPIs) float64 { return minutes(k.WorstLateness) }},
	{"overtime_min", "overtime", "min", "lower", func(k *CompareKPIs) float64 { return minutes(k.Overtime) }},
	{"technicians_used", "technicians used", "technicians", "", func(k *CompareKPIs) float64 { return float64(k.TechniciansUsed) }},
	{"utilisation_mean", "utilisation mean", "%", "", func(k *CompareKPIs) float64 { return pct(k.Utilisation.Mean) }},
	{"utilisation_std_dev", "utilisation spread (sd)", "%", "lower", func(k *CompareKPIs) float64 { return pct(k.Utilisation.StdDev) }},
	{"utilisation_min", "utilisation min", "%", "", func(k *CompareKPIs) float64 { return pct(k.Utilisation.Min) }},
	{"utilisation_max", "utilisation max", "%", "", func(k *CompareKPIs) float64 { return pct(k.Utilisation.Max) }},
	{"work_mean_min", "work per technician mean", "min", "", func(k *CompareKPIs) float64 { return round4(k.WorkMinutes.Mean) }},
	{"work_std_dev_min", "work spread (sd)", "min", "lower", func(k *CompareKPIs) float64 { return round4(k.WorkMinutes.StdDev) }},
	{"work_min_min", "work min", "min", "", func(k *CompareKPIs) float64 { return round4(k.WorkMinutes.Min) }},
	{"work_max_min", "work max", "min", "", func(k *CompareKPIs) float64 { return round4(k.WorkMinutes.Max) }},
	{"skill_surplus", "skill surplus", "levels", "lower", func(k *CompareKPIs) float64 { return k.SkillSurplus }},
	{"preferred_hits", "preferred technician hits", "orders", "higher", func(k *CompareKPIs) float64 { return float64(k.PreferredHits) }},
	{"preferred_orders", "  orders naming one", "orders", "", func(k *CompareKPIs) float64 { return float64(k.PreferredOrders) }},
	{"plan_changes", "plan changes", "orders", "lower", func(k *CompareKPIs) float64 { return float64(k.PlanChanges) }},
}

func pct(x float64) float64 { return math.Round(x*1e4) / 100 }

// tableOf lays out the KPIs of the outcomes, then each one's objective
// under its own policy and the iterations its search ran.
func tableOf(outcomes []*PolicyOutcome) []KPIRow {
	rows := make([]KPIRow, 0, len(kpiDefs)+1)
	for _, d := range kpiDefs {
		row := KPIRow{Key: d.key, Label: d.label, Unit: d.unit, Better: d.better, Values: make([]Number, len(outcomes))}
		for i, o := range outcomes {
			row.Values[i] = Number(math.NaN())
			if o.Plan != nil {
				row.Values[i] = Number(d.of(&o.KPIs))
			}
		}
		rows = append(rows, row)
	}
	own := KPIRow{Key: "objective", Label: "objective (own policy)", Unit: "units", Values: make([]Number, len(outcomes))}
	for i, o := range outcomes {
		own.Values[i] = Number(math.NaN())
		if o.Plan != nil {
			own.Values[i] = Number(round4(o.Objective))
		}
	}
	// The search's effort, by which a reader judges the noise: under a
	// time limit, plans that ran beside others got fewer iterations.
	effort := KPIRow{Key: "iterations", Label: "search iterations", Unit: "iterations", Values: make([]Number, len(outcomes))}
	for i, o := range outcomes {
		effort.Values[i] = Number(math.NaN())
		if o.Plan != nil {
			effort.Values[i] = Number(o.Iterations)
		}
	}
	return append(rows, own, effort)
}

// SweepResult is the trade-off curve of one weight: every KPI at each of
// the weight's values.
type SweepResult struct {
	// Base names the policy swept; Weight the weight varied over Values.
	Base   string    `json:"base"`
	Weight string    `json:"weight"`
	Values []float64 `json:"values"`
	// Policies name the sweep's points in the comparison (Order), one per
	// value.
	Policies []string `json:"policies"`
	// Series are the table's rows restricted to the sweep's points: each
	// KPI's value at each of Values.
	Series []KPIRow `json:"series"`
}

// sweepOf cuts the sweep's columns, which start at from, out of the
// table.
func sweepOf(sw *Sweep, table []KPIRow, from int) *SweepResult {
	out := &SweepResult{Base: sw.Base.Name, Weight: sw.Weight, Values: slices.Clone(sw.Values)}
	for _, x := range sw.Values {
		out.Policies = append(out.Policies, sw.point(x))
	}
	for _, row := range table {
		row.Values = slices.Clone(row.Values[from:])
		out.Series = append(out.Series, row)
	}
	return out
}

// Row returns the table's row of the given key, and whether there is
// one.
func (c *Comparison) Row(key string) (KPIRow, bool) {
	i := slices.IndexFunc(c.Table, func(r KPIRow) bool { return r.Key == key })
	if i < 0 {
		return KPIRow{}, false
	}
	return c.Table[i], true
}

// Outcomes returns the outcomes in the comparison's order.
func (c *Comparison) Outcomes() []*PolicyOutcome {
	out := make([]*PolicyOutcome, len(c.Order))
	for i, name := range c.Order {
		out[i] = c.Policies[name]
	}
	return out
}
