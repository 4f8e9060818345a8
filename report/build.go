package report

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
	"github.com/paulmach/orb"
)

// FromPlans builds the comparison of plans of one problem, plans[i]
// planned under policies[i]: their headline figures (KPIsOf), the
// objective of every plan under every policy (from the plans' measures),
// their maps when the problem has coordinates, and what each leaves out.
// A compare run with a richer table replaces KPIs; a sweep adds Sweeps.
func FromPlans(title string, policies []model.Policy, plans []model.Plan, p *model.Problem) (Comparison, error) {
	if len(policies) != len(plans) {
		return Comparison{}, fmt.Errorf("report: %d policies for %d plans", len(policies), len(plans))
	}
	c := Comparison{Title: title, KPIs: KPIsOf(plans)}
	for i, pol := range policies {
		c.Policies = append(c.Policies, PolicyColumn{Name: pol.Name, Description: pol.Description, Changes: WeightChanges(pol)})
		row := make([]float64, len(policies))
		for j, under := range policies {
			row[j] = under.Weights.Price(plans[i].Measures).Total()
		}
		c.Objectives = append(c.Objectives, row)
		c.Unassigned = append(c.Unassigned, UnassignedOf(pol.Name, plans[i], p)...)
	}
	for i, pol := range policies {
		m, err := MapOf(pol.Name, plans[i], p)
		if err != nil {
			// A plan on a travel matrix has nothing to draw; the page says
			// so in place of the maps.
			c.Maps = nil
			break
		}
		c.Maps = append(c.Maps, m)
	}
	if err := c.Validate(); err != nil {
		return Comparison{}, fmt.Errorf("report: the comparison of %d plans: %w", len(plans), err)
	}
	return c, nil
}

// WeightChanges says how a policy differs from the defaults: each weight
// (by its JSON name, in the order of model.Weights) and the score scale
// that are not the default, with the default beside.
func WeightChanges(p model.Policy) []string {
	var changes []string
	def := model.DefaultWeights()
	have, want := reflect.ValueOf(p.Weights), reflect.ValueOf(def)
	for i := range have.NumField() {
		f := have.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if a, b := have.Field(i).Float(), want.Field(i).Float(); a != b {
			changes = append(changes, fmt.Sprintf("%s %s (default %s)", name, formatNumber(a), formatNumber(b)))
		}
	}
	if p.Scale() != model.DefaultScoreScale {
		changes = append(changes, fmt.Sprintf("score_scale %s (default %d)", formatNumber(p.Scale()), model.DefaultScoreScale))
	}
	return changes
}

// KPIsOf lists the headline figures of plans side by side, in the units
// an operator reads them in: the plans' KPIs and the measures their
// objective prices.
func KPIsOf(plans []model.Plan) []KPIRow {
	rows := []struct {
		name, unit string
		better     Better
		of         func(p *model.Plan) float64
	}{
		{"Assigned", "orders", Higher, func(p *model.Plan) float64 { return float64(p.KPIs.Assigned) }},
		{"Unassigned", "orders", Lower, func(p *model.Plan) float64 { return float64(p.KPIs.Unassigned) }},
		{"Travel time", "min", Lower, func(p *model.Plan) float64 { return minutes(p.KPIs.Travel) }},
		{"Distance", "km", Lower, func(p *model.Plan) float64 { return round(p.KPIs.Distance/1000, 1) }},
		{"Lateness", "min", Lower, func(p *model.Plan) float64 { return minutes(p.KPIs.Lateness) }},
		{"Overtime", "min", Lower, func(p *model.Plan) float64 { return minutes(p.KPIs.Overtime) }},
		{"Utilisation", "%", Higher, func(p *model.Plan) float64 { return round(p.KPIs.Utilisation*100, 1) }},
		{"Technicians used", "technicians", Neither, func(p *model.Plan) float64 { return float64(p.KPIs.TechniciansUsed) }},
		{"Workload imbalance", "min of |work − mean|", Lower, func(p *model.Plan) float64 { return round(p.Measures.WorkloadBalance, 1) }},
		{"Skill surplus", "levels", Lower, func(p *model.Plan) float64 { return p.Measures.SkillSurplus }},
		{"Preferred technician missed", "orders", Lower, func(p *model.Plan) float64 { return p.Measures.PreferredTechnician }},
	}
	out := make([]KPIRow, len(rows))
	for i, r := range rows {
		out[i] = KPIRow{Name: r.name, Unit: r.unit, Better: r.better, Values: make([]float64, len(plans))}
		for j := range plans {
			out[i].Values[j] = r.of(&plans[j])
		}
	}
	return out
}

// SweepOf builds a sweep from plans of one problem, plans[i] planned with
// the weight set to values[i].
func SweepOf(weight, policy string, values []float64, plans []model.Plan) Sweep {
	return Sweep{Weight: weight, Policy: policy, Values: values, KPIs: KPIsOf(plans)}
}

// MapOf draws a plan's routes from its stops, which carry their
// locations, and, from the problem, every technician's depot and where
// the unassigned orders are. Without the problem (nil) the depots are the
// routes' starts and the unassigned orders are not drawn. It fails for a
// plan without coordinates: one planned on a travel matrix.
func MapOf(policy string, plan model.Plan, p *model.Problem) (RouteMap, error) {
	m := RouteMap{Policy: policy}
	point := func(l *model.Location, what string) (*Point, error) {
		if l == nil || !l.HasCoordinates() {
			return nil, fmt.Errorf("report: %s has no coordinates: a plan on a travel matrix cannot be drawn", what)
		}
		return &Point{Lat: l.Lat, Lng: l.Lng}, nil
	}
	// The routes are drawn by the rule the API's GeoJSON follows.
	lines, err := geo.RouteLines(&plan)
	if err != nil {
		return RouteMap{}, fmt.Errorf("report: drawing %s's plan: %w", policy, err)
	}
	pointOf := func(q *orb.Point) *Point {
		if q == nil {
			return nil
		}
		l := geo.LocationOf(*q)
		return &Point{Lat: l.Lat, Lng: l.Lng}
	}
	for _, line := range lines {
		r := MapRoute{TechnicianID: line.Route.TechnicianID, Start: pointOf(line.Start), End: pointOf(line.End)}
		for _, s := range line.Stops {
			r.Stops = append(r.Stops, MapOrder{WorkOrderID: s.Stop.WorkOrderID, Point: *pointOf(&s.Point)})
		}
		m.Routes = append(m.Routes, r)
	}
	if p == nil {
		for _, r := range m.Routes {
			if r.Start != nil {
				m.Depots = append(m.Depots, Depot{TechnicianID: r.TechnicianID, Point: *r.Start})
			}
		}
		return m, nil
	}
	for i := range p.Technicians {
		t := &p.Technicians[i]
		if !t.IsActive() {
			continue
		}
		q, err := point(&t.Start, t.ID+"'s start")
		if err != nil {
			return RouteMap{}, err
		}
		m.Depots = append(m.Depots, Depot{TechnicianID: t.ID, Point: *q})
	}
	orders := ordersByID(p)
	for _, u := range plan.Unassigned {
		w, ok := orders[u.WorkOrderID]
		if !ok {
			continue
		}
		q, err := point(&w.Location, u.WorkOrderID)
		if err != nil {
			return RouteMap{}, err
		}
		m.Unassigned = append(m.Unassigned, MapOrder{WorkOrderID: u.WorkOrderID, Point: *q})
	}
	return m, nil
}

// UnassignedOf lists the orders a plan leaves out and why, with their
// priorities from the problem (which may be nil).
func UnassignedOf(policy string, plan model.Plan, p *model.Problem) []UnassignedOrder {
	orders := ordersByID(p)
	var out []UnassignedOrder
	for _, u := range plan.Unassigned {
		o := UnassignedOrder{Policy: policy, WorkOrderID: u.WorkOrderID, Reasons: u.Reasons}
		if w, ok := orders[u.WorkOrderID]; ok {
			o.Priority = string(w.Priority)
			if o.Priority == "" {
				o.Priority = string(model.PriorityNormal)
			}
		}
		out = append(out, o)
	}
	return out
}

func ordersByID(p *model.Problem) map[string]*model.WorkOrder {
	if p == nil {
		return nil
	}
	m := make(map[string]*model.WorkOrder, len(p.WorkOrders))
	for i := range p.WorkOrders {
		m[p.WorkOrders[i].ID] = &p.WorkOrders[i]
	}
	return m
}

func minutes(s model.Seconds) float64 { return round(float64(s)/60, 1) }

func round(v float64, decimals int) float64 {
	f := math.Pow(10, float64(decimals))
	return math.Round(v*f) / f
}
