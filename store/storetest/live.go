package storetest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/store"
)

// denver is where the suite's technicians work.
var denver = model.LatLng(39.7392, -104.9903)

// Offset returns the location north and east metres from l (negative for
// south and west), on a sphere of geo.EarthRadiusMeters: close enough over
// tens of kilometres for tests that then measure with geo.
func Offset(l model.Location, north, east float64) model.Location {
	const deg = 180 / math.Pi
	lat := l.Lat + north/geo.EarthRadiusMeters*deg
	lng := l.Lng + east/(geo.EarthRadiusMeters*math.Cos(l.Lat/deg))*deg
	return model.LatLng(lat, lng)
}

// Position returns technician id's position at a location and instant.
func Position(id string, l model.Location, at time.Time) model.Position {
	return model.Position{TechnicianID: id, Lat: l.Lat, Lng: l.Lng, At: at}
}

// putTechnicians puts a technician (Technician(id)) for each id.
func putTechnicians(t *testing.T, s Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := s.PutTechnician(t.Context(), Technician(id)); err != nil {
			t.Fatalf("PutTechnician(%s): %v", id, err)
		}
	}
}

// update records a position that must be applied.
func update(t *testing.T, s Store, p model.Position, status string) {
	t.Helper()
	applied, err := s.UpdatePosition(t.Context(), p, status)
	if err != nil || !applied {
		t.Fatalf("UpdatePosition(%s at %v) = %v, %v; want applied", p.TechnicianID, p.At, applied, err)
	}
}

// wantLive builds the live state a store must return for a position.
func wantLive(t *testing.T, p model.Position, status string) store.Live {
	t.Helper()
	cell, err := store.LiveCell(p.Location())
	if err != nil {
		t.Fatal(err)
	}
	p.At = store.LiveTime(p.At)
	return store.Live{TechnicianID: p.TechnicianID, Position: p, Cell: cell, Status: status}
}

// sameLive fails the test unless got and want are the same live state;
// times compare as instants.
func sameLive(t *testing.T, what string, got, want store.Live) {
	t.Helper()
	gotAt, wantAt := got.Position.At, want.Position.At
	got.Position.At, want.Position.At = time.Time{}, time.Time{}
	if got != want || !gotAt.Equal(wantAt) {
		t.Errorf("%s:\n got %+v at %v\nwant %+v at %v", what, got, gotAt, want, wantAt)
	}
}

// liveIDs returns the sorted ids of a Live answer.
func liveIDs(live map[string]store.Live) []string {
	ids := make([]string, 0, len(live))
	for id := range live {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// testPositionUpdates sends one technician's fixes in an order GPS
// produces: the newest wins, late and repeated fixes change nothing, an
// empty status keeps the last one.
func testPositionUpdates(t *testing.T, s Store) {
	ctx := t.Context()
	putTechnicians(t, s, "T1")
	t0 := at(9)
	a, b := denver, Offset(denver, 3000, 0)
	steps := []struct {
		name        string
		pos         model.Position
		status      string
		wantApplied bool
		want        store.Live
	}{
		{"first fix", Position("T1", a, t0), "available", true, wantLive(t, Position("T1", a, t0), "available")},
		{"older fix ignored", Position("T1", b, t0.Add(-time.Minute)), "on_site", false, wantLive(t, Position("T1", a, t0), "available")},
		{"same time ignored", Position("T1", b, t0), "on_site", false, wantLive(t, Position("T1", a, t0), "available")},
		{"same millisecond ignored", Position("T1", b, t0.Add(500*time.Microsecond)), "on_site", false, wantLive(t, Position("T1", a, t0), "available")},
		{"newer fix keeps the status", Position("T1", b, t0.Add(time.Minute)), "", true, wantLive(t, Position("T1", b, t0.Add(time.Minute)), "available")},
		{"one millisecond newer", Position("T1", a, t0.Add(time.Minute+time.Millisecond)), "en_route", true, wantLive(t, Position("T1", a, t0.Add(time.Minute+time.Millisecond)), "en_route")},
		{"same place, new status", Position("T1", a, t0.Add(2*time.Minute)), "on_site", true, wantLive(t, Position("T1", a, t0.Add(2*time.Minute)), "on_site")},
	}
	for _, st := range steps {
		applied, err := s.UpdatePosition(ctx, st.pos, st.status)
		if err != nil || applied != st.wantApplied {
			t.Errorf("%s: UpdatePosition = %v, %v; want %v, nil", st.name, applied, err, st.wantApplied)
		}
		live, err := s.Live(ctx, "T1")
		if err != nil {
			t.Fatalf("%s: Live: %v", st.name, err)
		}
		sameLive(t, st.name, live["T1"], st.want)
	}
}

// testPositionErrors sends positions a store must refuse; none may leave
// a trace.
func testPositionErrors(t *testing.T, s Store) {
	ctx := t.Context()
	putTechnicians(t, s, "T1")
	tests := []struct {
		name     string
		pos      model.Position
		notFound bool // else a validation error
	}{
		{"unknown technician", Position("nobody", denver, at(9)), true},
		{"no technician id", Position("", denver, at(9)), false},
		{"latitude out of range", Position("T1", model.LatLng(91, 0), at(9)), false},
		{"longitude out of range", Position("T1", model.LatLng(0, -181), at(9)), false},
		{"NaN latitude", Position("T1", model.LatLng(math.NaN(), 0), at(9)), false},
		{"no time", Position("T1", denver, time.Time{}), false},
	}
	for _, tt := range tests {
		applied, err := s.UpdatePosition(ctx, tt.pos, "available")
		switch {
		case err == nil || applied:
			t.Errorf("%s: UpdatePosition = %v, %v; want an error", tt.name, applied, err)
		case tt.notFound && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: UpdatePosition error = %v, want ErrNotFound", tt.name, err)
		case !tt.notFound && errors.Is(err, store.ErrNotFound):
			t.Errorf("%s: UpdatePosition error = %v, want a validation error", tt.name, err)
		}
	}
	var ve *model.ValidationError
	if _, err := s.UpdatePosition(ctx, Position("T1", model.LatLng(91, 0), at(9)), ""); !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].Field != "lat" {
		t.Errorf("UpdatePosition(lat 91) error = %v, want a *model.ValidationError naming lat", err)
	}
	live, err := s.Live(ctx)
	if err != nil || len(live) != 0 {
		t.Errorf("Live after refused positions = %v, %v; want none", live, err)
	}
	if near, err := s.Near(ctx, denver, 1e6); err != nil || len(near) != 0 {
		t.Errorf("Near after refused positions = %v, %v; want none", near, err)
	}
}

// testPositionTime checks that a position's time comes back as the same
// instant, to the millisecond, whatever zone it was given in.
func testPositionTime(t *testing.T, s Store) {
	ctx := t.Context()
	putTechnicians(t, s, "T1")
	tokyo := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"UTC", time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)},
		{"other zone, nanoseconds dropped", time.Date(2026, 11, 24, 8, 0, 1, 123456789, tokyo), time.Date(2026, 11, 23, 23, 0, 1, 123000000, time.UTC)},
		{"offset zone", at(17).Add(7 * time.Millisecond), at(17).Add(7 * time.Millisecond)},
	}
	for _, tt := range tests {
		update(t, s, Position("T1", denver, tt.at), "")
		live, err := s.Live(ctx, "T1")
		if err != nil {
			t.Fatal(err)
		}
		if got := live["T1"].Position.At; !got.Equal(tt.want) {
			t.Errorf("%s: Live at = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// testPositionMovesCell moves a technician between cities: they must be
// found in the new cell only, and a late fix from the old place must not
// bring them back.
func testPositionMovesCell(t *testing.T, s Store) {
	ctx := t.Context()
	putTechnicians(t, s, "T1")
	boulder := model.LatLng(40.0150, -105.2705)
	update(t, s, Position("T1", denver, at(9)), "available")
	update(t, s, Position("T1", boulder, at(10)), "")
	if applied, err := s.UpdatePosition(ctx, Position("T1", denver, at(9).Add(30*time.Minute)), ""); err != nil || applied {
		t.Errorf("late fix from Denver: UpdatePosition = %v, %v; want not applied", applied, err)
	}
	tests := []struct {
		name string
		loc  model.Location
		want []string
	}{
		{"old place", denver, []string{}},
		{"new place", boulder, []string{"T1"}},
	}
	for _, tt := range tests {
		got, err := s.Near(ctx, tt.loc, 500)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: Near = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	live, _ := s.Live(ctx, "T1")
	sameLive(t, "after moving", live["T1"], wantLive(t, Position("T1", boulder, at(10)), "available"))
}

func testLive(t *testing.T, s Store) {
	ctx := t.Context()
	putTechnicians(t, s, "T1", "T2", "T3", "T4")
	pos := map[string]model.Position{
		"T1": Position("T1", denver, at(9)),
		"T2": Position("T2", Offset(denver, 1000, 0), at(10)),
		"T3": Position("T3", Offset(denver, 0, -2000), at(11)),
	}
	for id, p := range pos {
		update(t, s, p, "status-of-"+id)
	}
	tests := []struct {
		name string
		ids  []string
		want []string
	}{
		{"everyone with a position", nil, []string{"T1", "T2", "T3"}},
		{"some, one without a position, one unknown", []string{"T2", "T4", "nobody"}, []string{"T2"}},
		{"repeated", []string{"T3", "T3"}, []string{"T3"}},
		{"only without positions", []string{"T4"}, []string{}},
	}
	for _, tt := range tests {
		live, err := s.Live(ctx, tt.ids...)
		if err != nil {
			t.Fatalf("%s: Live: %v", tt.name, err)
		}
		if got := liveIDs(live); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Live ids = %v, want %v", tt.name, got, tt.want)
		}
		for id, l := range live {
			sameLive(t, tt.name+": "+id, l, wantLive(t, pos[id], "status-of-"+id))
		}
	}
}

func testNear(t *testing.T, s Store) {
	ctx := t.Context()
	boulder := model.LatLng(40.0150, -105.2705)
	newYork := model.LatLng(40.7128, -74.0060)
	places := map[string]model.Location{
		"A-here":    denver,
		"B-300m":    Offset(denver, 300, 0),
		"C-2km":     Offset(denver, 0, 2000),
		"D-9km":     Offset(denver, -9000, 0),
		"E-boulder": boulder,
		"F-newyork": newYork,
	}
	for id, l := range places {
		putTechnicians(t, s, id)
		update(t, s, Position(id, l, at(9)), "")
	}
	putTechnicians(t, s, "G-nowhere") // no position: never near
	dist := func(id string) float64 { return geo.GreatCircleMeters(geo.Point(denver), geo.Point(places[id])) }
	tests := []struct {
		name   string
		loc    model.Location
		meters float64
		want   []string
	}{
		{"radius zero finds the exact place", denver, 0, []string{"A-here"}},
		{"500 m", denver, 500, []string{"A-here", "B-300m"}},
		{"just short of C", denver, math.Nextafter(dist("C-2km"), 0), []string{"A-here", "B-300m"}},
		{"exactly to C", denver, dist("C-2km"), []string{"A-here", "B-300m", "C-2km"}},
		{"10 km", denver, 10_000, []string{"A-here", "B-300m", "C-2km", "D-9km"}},
		{"from Boulder", boulder, 1000, []string{"E-boulder"}},
		{"50 km", denver, 50_000, []string{"A-here", "B-300m", "C-2km", "D-9km", "E-boulder"}},
		{"wider than the cells worth naming", denver, 2_000_000, []string{"A-here", "B-300m", "C-2km", "D-9km", "E-boulder"}},
		{"the whole country", denver, 5_000_000, []string{"A-here", "B-300m", "C-2km", "D-9km", "E-boulder", "F-newyork"}},
		{"infinite", denver, math.Inf(1), []string{"A-here", "B-300m", "C-2km", "D-9km", "E-boulder", "F-newyork"}},
		{"nobody there", model.LatLng(0, -140), 100_000, []string{}},
	}
	for _, tt := range tests {
		got, err := s.Near(ctx, tt.loc, tt.meters)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: Near(%v, %v) = %v, %v; want %v", tt.name, tt.loc, tt.meters, got, err, tt.want)
		}
		if got == nil && err == nil {
			t.Errorf("%s: Near returned nil, want an empty list", tt.name)
		}
	}
}

func testNearErrors(t *testing.T, s Store) {
	tests := []struct {
		name   string
		loc    model.Location
		meters float64
	}{
		{"negative radius", denver, -1},
		{"NaN radius", denver, math.NaN()},
		{"latitude out of range", model.LatLng(95, 0), 10},
		{"no coordinates", model.MatrixLocation(3), 10},
	}
	for _, tt := range tests {
		if got, err := s.Near(t.Context(), tt.loc, tt.meters); err == nil {
			t.Errorf("%s: Near = %v, want an error", tt.name, got)
		}
	}
}

// testNearMatchesBruteForce scatters technicians around a city, moves
// some, and compares Near with a scan of every live position.
func testNearMatchesBruteForce(t *testing.T, s Store) {
	ctx := t.Context()
	r := rand.New(rand.NewPCG(7, 11))
	scatter := func(radius float64) model.Location {
		d, bearing := radius*math.Sqrt(r.Float64()), 2*math.Pi*r.Float64()
		return Offset(denver, d*math.Cos(bearing), d*math.Sin(bearing))
	}
	const n = 150
	for i := range n {
		id := fmt.Sprintf("T%03d", i)
		putTechnicians(t, s, id)
		update(t, s, Position(id, scatter(30_000), at(8)), "")
		if i%3 == 0 { // a third move on
			update(t, s, Position(id, scatter(30_000), at(9)), "")
		}
	}
	live, err := s.Live(ctx)
	if err != nil || len(live) != n {
		t.Fatalf("Live = %d positions, %v; want %d", len(live), err, n)
	}
	for q := range 40 {
		center := scatter(25_000)
		radius := 300 + r.Float64()*12_000
		if q%10 == 9 {
			radius = 400_000 // reads every position
		}
		want := []string{}
		for id, l := range live {
			if geo.GreatCircleMeters(geo.Point(center), geo.Point(l.Position.Location())) <= radius {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		got, err := s.Near(ctx, center, radius)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("Near(%v, %.0f) = %d ids %v, %v; brute force finds %d: %v", center, radius, len(got), got, err, len(want), want)
		}
	}
}

// testDeleteTechnicianClearsLive deletes a technician with a position:
// nothing of their live state may survive, even when they come back.
func testDeleteTechnicianClearsLive(t *testing.T, s Store) {
	ctx := t.Context()
	putTechnicians(t, s, "T1", "T2")
	update(t, s, Position("T1", denver, at(10)), "on_site")
	update(t, s, Position("T2", denver, at(10)), "on_site")
	if err := s.DeleteTechnician(ctx, "T1"); err != nil {
		t.Fatal(err)
	}
	if live, err := s.Live(ctx); err != nil || !slices.Equal(liveIDs(live), []string{"T2"}) {
		t.Errorf("Live after deleting T1 = %v, %v; want T2 only", liveIDs(live), err)
	}
	if near, err := s.Near(ctx, denver, 100); err != nil || !slices.Equal(near, []string{"T2"}) {
		t.Errorf("Near after deleting T1 = %v, %v; want [T2]", near, err)
	}
	if st, err := s.Stats(ctx); err != nil || st.Positions != 1 || st.Technicians != 1 {
		t.Errorf("Stats after deleting T1 = %+v, %v; want 1 technician, 1 position", st, err)
	}
	if _, err := s.UpdatePosition(ctx, Position("T1", denver, at(11)), ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdatePosition of a deleted technician: %v, want ErrNotFound", err)
	}
	putTechnicians(t, s, "T1")
	if live, _ := s.Live(ctx, "T1"); len(live) != 0 {
		t.Errorf("a technician put again has their old live state: %v", live)
	}
	// The old, newer fix is gone: an earlier one now applies, with no status.
	update(t, s, Position("T1", denver, at(8)), "")
	live, _ := s.Live(ctx, "T1")
	sameLive(t, "after coming back", live["T1"], wantLive(t, Position("T1", denver, at(8)), ""))
}

// testConcurrentPositions sends one technician's fixes from many
// goroutines in shuffled order, each from a different place: the stored
// position must be the newest, filed in its cell and no other.
func testConcurrentPositions(t *testing.T, s Store) {
	ctx := t.Context()
	putTechnicians(t, s, "T1")
	const pings, writers = 96, 12
	pos := make([]model.Position, pings)
	for i := range pos {
		// 6 km apart: each fix in a cell of its own.
		pos[i] = Position("T1", Offset(denver, float64(i)*6000, 0), at(8).Add(time.Duration(i)*time.Second))
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(pings)
	var wg sync.WaitGroup
	errs := make(chan error, pings)
	for w := range writers {
		wg.Go(func() {
			for _, i := range order[w*pings/writers : (w+1)*pings/writers] {
				if _, err := s.UpdatePosition(ctx, pos[i], fmt.Sprintf("s%d", i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	last := pos[pings-1]
	live, err := s.Live(ctx, "T1")
	if err != nil {
		t.Fatal(err)
	}
	sameLive(t, "after concurrent updates", live["T1"], wantLive(t, last, fmt.Sprintf("s%d", pings-1)))
	for i, p := range pos {
		want := []string{}
		if i == pings-1 {
			want = []string{"T1"}
		}
		if got, err := s.Near(ctx, p.Location(), 100); err != nil || !slices.Equal(got, want) {
			t.Errorf("Near fix %d = %v, %v; want %v", i, got, err, want)
		}
	}
	if st, err := s.Stats(ctx); err != nil || st.Positions != 1 {
		t.Errorf("Stats = %+v, %v; want 1 position", st, err)
	}
}
