package scenario

import (
	"fmt"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// DemoDay is the day `serve --demo` loads: a crew at work around now, so
// that every route of the API has something to answer.
type DemoDay struct {
	Technicians []model.Technician
	// Orders are in every state of a day under way: done, on site, en
	// route, dispatched for later, and created but not yet dispatched.
	Orders    []model.WorkOrder
	Positions []model.Position
}

// DayAroundOptions size a day laid out around an instant.
type DayAroundOptions struct {
	Technicians int
	// Stops is each technician's dispatched jobs; NewOrders the orders
	// waiting to be dispatched.
	Stops     int
	NewOrders int
	Seed      uint64
}

// GenerateDemoDay returns the demo day laid out around now: 20
// technicians with 4 dispatched jobs each and 30 new orders (see
// GenerateDayAround).
func GenerateDemoDay(now time.Time) (DemoDay, error) {
	return GenerateDayAround(now, DayAroundOptions{Technicians: 20, Stops: 4, NewOrders: 30, Seed: 1})
}

// GenerateDayAround returns a day laid out around now: technicians with
// their dispatched jobs, those before now complete, the one under way on
// site or en route, the rest dispatched, and new orders waiting to be
// dispatched later in the day; live positions where the technicians are.
// The day is generated with "now" at 10:30 in the metro and then moved to
// the real now, so that whatever the hour there is work under way (at
// night the shifts are night shifts). The same now and options give the
// same day.
func GenerateDayAround(now time.Time, opts DayAroundOptions) (DemoDay, error) {
	if opts.NewOrders < 0 || opts.NewOrders > MaxGenerated {
		return DemoDay{}, fmt.Errorf("scenario: generating a day: new orders %d out of range [0, %d]", opts.NewOrders, MaxGenerated)
	}
	zone, err := time.LoadLocation("America/Denver")
	if err != nil {
		return DemoDay{}, fmt.Errorf("scenario: generating a day: %w", err)
	}
	date := model.DateOf(now.In(zone))
	busy, err := GenerateBusyDay(BusyDayOptions{Technicians: opts.Technicians, Stops: opts.Stops, Seed: opts.Seed, Date: date, Now: 10*60 + 30})
	if err != nil {
		return DemoDay{}, fmt.Errorf("scenario: generating a day: %w", err)
	}
	fresh := GenerateOrders(opts.NewOrders, opts.Seed+1, busy.Technicians)
	for i := range fresh {
		w := &fresh[i]
		w.ID = fmt.Sprintf("NEW-%02d", i+1)
		// Wanted from noon on, so that they can still be dispatched.
		if len(w.TimeWindows) > 0 {
			w.TimeWindows[0].Start = maxTime(w.TimeWindows[0].Start, busy.Now.Add(90*time.Minute))
			w.TimeWindows[0].End = maxTime(w.TimeWindows[0].End, w.TimeWindows[0].Start.Add(2*time.Hour))
			w.TimeWindows = w.TimeWindows[:1]
		}
		if w.SLADeadline != nil && w.SLADeadline.Before(busy.Now.Add(3*time.Hour)) {
			d := busy.Now.Add(3 * time.Hour)
			w.SLADeadline = &d
		}
	}
	day := DemoDay{Technicians: busy.Technicians, Orders: append(busy.Orders, fresh...), Positions: busy.Positions}
	day.move(now.Truncate(time.Minute).Sub(busy.Now))
	return day, nil
}

// move shifts every instant of the day by d.
func (day *DemoDay) move(d time.Duration) {
	at := func(t *time.Time) {
		if t != nil && !t.IsZero() {
			*t = t.Add(d)
		}
	}
	for i := range day.Technicians {
		t := &day.Technicians[i]
		at(&t.Shift.Start)
		at(&t.Shift.End)
		for k := range t.Breaks {
			at(&t.Breaks[k].Earliest)
			at(&t.Breaks[k].Latest)
		}
	}
	for i := range day.Orders {
		w := &day.Orders[i]
		for k := range w.TimeWindows {
			at(&w.TimeWindows[k].Start)
			at(&w.TimeWindows[k].End)
		}
		at(w.SLADeadline)
		at(w.ScheduledStart)
	}
	for i := range day.Positions {
		at(&day.Positions[i].At)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
