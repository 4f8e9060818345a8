package solver

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/dispatchd/dispatchd/model"
)

// TestInsertionCheckIsExact compares the constant-time insertion check and
// its soft cost with the full schedule of the route with the job in it, on
// a generated day (dispatchd gen --orders 80 --technicians 6 --seed 5)
// with lunch breaks, windows, SLA deadlines and overtime, its routes built
// in random orders, with the breaks and without: the two agree on every
// job, route and gap.
func TestInsertionCheckIsExact(t *testing.T) {
	p := testDay(t)
	bare := *p
	bare.Technicians = slices.Clone(p.Technicians)
	for i := range bare.Technicians {
		bare.Technicians[i].Breaks = nil
	}
	checked, feasible := 0, 0
	for seed := range uint64(8) {
		p := p
		if seed%2 == 1 {
			p = &bare // the schedule without breaks is written out apart
		}
		in, err := compile(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := newSolution(in)
		rng := rand.New(rand.NewPCG(seed, 1))
		todo := s.insertable(nil)
		rng.Shuffle(len(todo), func(a, b int) { todo[a], todo[b] = todo[b], todo[a] })
		s.recreate(rng, todo[:len(todo)/3], 0, &scratch{})
		for _, j := range s.free {
			for _, v := range in.jobs[j].vehicles {
				r := s.routes[v]
				for g := 0; g <= r.jobs; g++ {
					ins, ok := r.tryGap(in, j, g, math.Inf(1))
					tr, want := r.trial(in, &in.jobs[j], g)
					checked++
					if ok != want {
						t.Fatalf("seed %d job %d vehicle %d gap %d: check says %v, the full schedule %v", seed, j, v, g, ok, want)
					}
					if !ok {
						continue
					}
					feasible++
					arcs := tr.arcs - r.arcs + in.pair[int(v)*len(in.jobs)+int(j)]
					if got, want := ins.delta, arcs+tr.soft-r.soft; math.Abs(got-want) > 1e-6 {
						t.Fatalf("seed %d job %d vehicle %d gap %d: delta %v, the full schedule %v", seed, j, v, g, got, want)
					}
				}
			}
		}
	}
	t.Logf("%d insertions checked, %d feasible", checked, feasible)
	if feasible < 100 {
		t.Fatalf("only %d feasible insertions", feasible)
	}
}

// TestBareScheduleIsTheSchedule checks the schedule written out for
// technicians without breaks against the general one, array by array, on
// the routes of TestInsertionCheckIsExact's day without its breaks.
func TestBareScheduleIsTheSchedule(t *testing.T) {
	p := testDay(t)
	for i := range p.Technicians {
		p.Technicians[i].Breaks = nil
	}
	in, err := compile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := newSolution(in)
	rng := rand.New(rand.NewPCG(3, 1))
	todo := s.insertable(nil)
	rng.Shuffle(len(todo), func(a, b int) { todo[a], todo[b] = todo[b], todo[a] })
	s.recreate(rng, todo, 0, &scratch{})
	compared := 0
	for _, r := range s.routes {
		for g := 0; g <= r.jobs; g++ {
			for _, j := range s.free[:min(len(s.free), 5)] {
				bare, okBare := r.trial(in, &in.jobs[j], g)
				full := bare.clone(nil)
				okFull := full.schedule(in, full.vehicle(in))
				compared++
				if okBare != okFull {
					t.Fatalf("route %d gap %d job %d: bare %v, general %v", r.v, g, j, okBare, okFull)
				}
				for name, pair := range map[string][2][]int64{"free": {bare.free, full.free}, "late": {bare.late, full.late},
					"latest": {bare.latest, full.latest}, "rdy": {bare.rdy, full.rdy}, "soon": {bare.soon, full.soon}, "rmax": {bare.rmax, full.rmax}} {
					if !slices.Equal(pair[0], pair[1]) {
						t.Fatalf("route %d gap %d job %d: %s bare %v, general %v", r.v, g, j, name, pair[0], pair[1])
					}
				}
				if okBare && (bare.back != full.back || bare.lateness != full.lateness || bare.soft != full.soft ||
					!slices.Equal(bare.start[1:len(bare.seq)+1], full.start[1:len(full.seq)+1])) {
					t.Fatalf("route %d gap %d job %d: back %d/%d lateness %d/%d soft %v/%v", r.v, g, j, bare.back, full.back, bare.lateness, full.lateness, bare.soft, full.soft)
				}
			}
		}
	}
	if compared < 100 {
		t.Fatalf("only %d schedules compared", compared)
	}
}

// testDay reads dispatchd gen --orders 80 --technicians 6 --seed 5.
func testDay(t *testing.T) *model.Problem {
	t.Helper()
	data, err := os.ReadFile("testdata/day-80x6.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.DecodeProblem(data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
