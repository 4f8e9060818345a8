package scenario

import (
	"fmt"
	"math"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// BusyDay is a dispatch day in progress: technicians with their routes of
// the day, the orders on them (done, under way and to come), live
// positions, and the instant it is seen at. It has the fields of
// solver.Day that a generated day fills, so that a test or benchmark can
// hand it to Suggest without this package depending on the solver.
type BusyDay struct {
	Now         time.Time
	Technicians []model.Technician
	Orders      []model.WorkOrder
	Routes      []model.Route
	Positions   []model.Position
	Travel      *model.Travel
}

// BusyDayOptions describe a day in progress for suggestion benchmarks and
// tests: every technician has a full route, part of it done.
type BusyDayOptions struct {
	Technicians int
	// Stops is the number of jobs on each technician's route.
	Stops int
	Seed  uint64
	// Now is the clock time of the day in progress, minutes after
	// midnight; zero means 10:30.
	Now int
	// RadiusMeters is the territory's radius; zero means the 20 km metro
	// of GenerateDay. A regional fleet spreads over a few hundred km.
	RadiusMeters float64
	// Date is the day of the shifts; zero means DefaultDate.
	Date model.Date
}

// GenerateBusyDay returns a day in progress around the generated metro:
// technicians of GenerateDay with routes of Stops jobs each, near home and
// one after the other with travel, inside customer windows of two hours
// and a lunch break; jobs that ended before now are complete, the one
// under way is on site or en route, and every technician has a live
// position. Orders for suggestions come from GenerateOrders.
func GenerateBusyDay(opts BusyDayOptions) (BusyDay, error) {
	if opts.Technicians < 1 || opts.Technicians > MaxGenerated || opts.Stops < 0 || opts.Stops > MaxStops {
		return BusyDay{}, fmt.Errorf("scenario: generating a busy day: want 1 to %d technicians and 0 to %d stops", MaxGenerated, MaxStops)
	}
	if opts.Now == 0 {
		opts.Now = 10*60 + 30
	}
	if opts.RadiusMeters == 0 {
		opts.RadiusMeters = DefaultRadiusMeters
	}
	if opts.Date.IsZero() {
		opts.Date = DefaultDate
	}
	base, err := GenerateDay(DayOptions{Technicians: opts.Technicians, Seed: opts.Seed, RadiusMeters: opts.RadiusMeters, Date: opts.Date})
	if err != nil {
		return BusyDay{}, err
	}
	g := newGenerator(DayOptions{Date: opts.Date, Center: DefaultCenter, RadiusMeters: opts.RadiusMeters,
		Zone: base.Technicians[0].Shift.Start.Location()}, opts.Seed, 0xb5ad4eceda1ce2a9)
	day := BusyDay{Now: g.at(opts.Now), Technicians: base.Technicians, Travel: base.Travel}
	for i := range day.Technicians {
		t := &day.Technicians[i]
		t.Active = ptr(true)
		t.MaxJobs = 0
		g.route(&day, t, opts.Stops)
	}
	return day, nil
}

// route gives technician t a day of n jobs and the state it is in at now.
func (g *generator) route(day *BusyDay, t *model.Technician, n int) {
	hav := geo.Haversine{}
	now := day.Now
	r := model.Route{TechnicianID: t.ID}
	at, clock := t.Start, t.Shift.Start
	lunch := false
	var pos *model.Position
	for k := range n {
		next := g.near(at, 1500+4500*g.r.Float64())
		leg, _ := hav.Leg(at, next)
		start := roundUp(clock.Add(leg.Duration), 5*time.Minute)
		dur := time.Duration(30+15*g.r.IntN(4)) * time.Minute
		if start.Add(dur).Add(leg.Duration).After(t.Shift.End) {
			break
		}
		w := model.WorkOrder{
			ID:             fmt.Sprintf("%s-J%d", t.ID, k+1),
			JobType:        "maintenance",
			Priority:       model.Priorities[g.pick([]float64{0.02, 0.18, 0.6, 0.2})],
			Location:       next,
			Duration:       model.Seconds(dur / time.Second),
			RequiredSkills: model.Skills{},
			TimeWindows:    []model.TimeWindow{{Start: start.Add(-time.Hour), End: start.Add(time.Hour)}},
			Status:         model.StatusDispatched,
			TechnicianIDs:  []string{t.ID},
			ScheduledStart: ptr(start),
		}
		w.RequiredSkills[t.Skills.Names()[0]] = 1
		if g.r.Float64() < 0.2 {
			w.SLADeadline = ptr(start.Add(dur).Add(time.Duration(30+g.r.IntN(120)) * time.Minute))
		}
		end := start.Add(dur)
		switch {
		case !end.After(now):
			w.Status = model.StatusComplete
		case !start.After(now):
			w.Status = model.StatusOnSite
			pos = &model.Position{TechnicianID: t.ID, Lat: next.Lat, Lng: next.Lng, At: now}
		case pos == nil && !clock.After(now):
			w.Status = model.StatusEnRoute
			f := float64(now.Sub(clock)) / float64(start.Sub(clock))
			pos = &model.Position{TechnicianID: t.ID, Lat: at.Lat + f*(next.Lat-at.Lat), Lng: at.Lng + f*(next.Lng-at.Lng), At: now}
		}
		day.Orders = append(day.Orders, w)
		r.Stops = append(r.Stops, model.Stop{WorkOrderID: w.ID, Start: start, End: end})
		at, clock = next, end
		if !lunch && clock.Hour() >= 12 && len(t.Breaks) > 0 {
			b := t.Breaks[0]
			bs := clock
			if bs.Before(b.Earliest) {
				bs = b.Earliest
			}
			if !bs.After(b.Latest) {
				r.Stops = append(r.Stops, model.Stop{Type: model.StopBreak, Start: bs, End: bs.Add(b.Duration.Duration())})
				clock = bs.Add(b.Duration.Duration())
				lunch = true
			}
		}
	}
	if pos == nil {
		here := at // after the last job, or at home before the first
		if len(r.Stops) == 0 || r.Stops[0].Start.After(now) {
			here = t.Start
		}
		pos = &model.Position{TechnicianID: t.ID, Lat: here.Lat, Lng: here.Lng, At: now}
	}
	day.Positions = append(day.Positions, *pos)
	day.Routes = append(day.Routes, r)
}

// near returns a place about d metres from l (a place of the metro) in a
// random direction, inside the metro: the step shrinks until it lands
// inside, and after a few tries the job is where the technician is.
func (g *generator) near(l model.Location, d float64) model.Location {
	for range 32 {
		a := 2 * math.Pi * g.r.Float64()
		if p := g.offset(l, d*math.Cos(a), d*math.Sin(a)); g.inMetro(p) {
			return p
		}
		d *= 0.8
	}
	return l
}

func roundUp(t time.Time, step time.Duration) time.Time {
	r := t.Truncate(step)
	if r.Before(t) {
		r = r.Add(step)
	}
	return r
}

// GenerateOrders returns n new work orders of the generated metro, as a
// dispatcher would create them during the day of the technicians' shifts:
// the orders of GenerateDay.
func GenerateOrders(n int, seed uint64, technicians []model.Technician) []model.WorkOrder {
	return GenerateOrdersIn(n, seed, technicians, DefaultRadiusMeters)
}

// GenerateOrdersIn is GenerateOrders over a territory of the given radius,
// as BusyDayOptions.RadiusMeters; zero (or less) means the 20 km metro.
func GenerateOrdersIn(n int, seed uint64, technicians []model.Technician, radiusMeters float64) []model.WorkOrder {
	if !(radiusMeters > 0) {
		radiusMeters = DefaultRadiusMeters
	}
	zone := technicians[0].Shift.Start.Location()
	g := newGenerator(DayOptions{Date: model.DateOf(technicians[0].Shift.Start.In(zone)), Center: DefaultCenter,
		RadiusMeters: radiusMeters, Zone: zone}, seed, 0x2545f4914f6cdd1d)
	g.places()
	out := make([]model.WorkOrder, 0, n)
	for i := range n {
		w := g.order(i, technicians)
		w.ID = fmt.Sprintf("NEW-%d", i+1)
		w.TechniciansNeeded = 0
		out = append(out, w)
	}
	return out
}
