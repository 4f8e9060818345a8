package scenario

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
	_ "time/tzdata" // the generated metro's zone must load on machines without a zoneinfo database

	"github.com/dispatchd/dispatchd/geo"
	"github.com/dispatchd/dispatchd/model"
)

// DayOptions describes a generated dispatch day. The zero value of every
// field but Orders, Technicians and Seed takes the default documented on it.
type DayOptions struct {
	Orders      int
	Technicians int
	Seed        uint64
	// Date is the day of the shifts; zero means 2026-11-23.
	Date model.Date
	// Center and RadiusMeters place the metro area; zero means Denver, 20 km
	// (a metro about 40 km across).
	Center       model.Location
	RadiusMeters float64
	// Zone is the metro's time zone; nil means America/Denver.
	Zone *time.Location
}

// DefaultDate is the day generated when DayOptions names none, so that a
// seed alone fixes the output.
var DefaultDate = model.Date{Year: 2026, Month: time.November, Day: 23}

// DefaultCenter and DefaultRadiusMeters place the generated metro when
// the options name no other: Denver, 20 km (a metro about 40 km across).
var DefaultCenter = model.LatLng(39.7392, -104.9903)

// DefaultRadiusMeters is the generated metro's radius; see DefaultCenter.
const DefaultRadiusMeters = 20_000

// MaxGenerated bounds orders and technicians of one generated day.
const MaxGenerated = 1_000_000

// MaxStops bounds the jobs on one technician's route of a busy day.
const MaxStops = 50

// trade is a line of work: its skill, and what its jobs and technicians
// need and carry.
type trade struct {
	skill     string
	share     float64 // of technicians and of orders
	related   string  // a second trade its technicians often hold
	certs     []string
	tools     []string
	equipment string
}

var trades = []trade{
	{"hvac", 0.30, "refrigeration", []string{"EPA-608"}, []string{"recovery-machine", "manifold-gauges"}, "RTU"},
	{"plumbing", 0.25, "fire_safety", []string{"Backflow-Tester"}, []string{"drain-camera", "pipe-threader"}, "WH"},
	{"electrical", 0.20, "hvac", []string{"Journeyman-Electrician"}, []string{"megger", "thermal-camera"}, "PNL"},
	{"refrigeration", 0.12, "hvac", []string{"EPA-608"}, []string{"recovery-machine", "leak-detector"}, "WIC"},
	{"fire_safety", 0.13, "plumbing", []string{"NFPA-25", "NICET-II"}, []string{"hydro-test-pump"}, "SPK"},
}

// jobType is a kind of visit: how long it takes and how hard it is.
type jobType struct {
	name           string
	share          float64
	minMin, maxMin int       // duration in minutes, in 15-minute steps
	levels         []float64 // shares of required levels 1, 2, …
	certShare      float64
	toolShare      float64
	demandMax      int
}

// Most work is routine: hard repairs and installs need the senior people.
var jobTypes = []jobType{
	{"repair", 0.45, 45, 120, []float64{0.30, 0.40, 0.22, 0.08}, 0.5, 0.35, 15},
	{"maintenance", 0.30, 30, 90, []float64{0.6, 0.4}, 0.2, 0.15, 10},
	{"install", 0.10, 120, 240, []float64{0, 0.3, 0.5, 0.2}, 0.6, 0.6, 60},
	{"inspection", 0.15, 30, 60, []float64{0.2, 0.5, 0.3}, 0.7, 0.1, 2},
}

var streets = []string{"Colfax Ave", "Broadway", "Federal Blvd", "Alameda Ave", "Evans Ave", "Speer Blvd", "Wadsworth Blvd",
	"Kipling St", "Sheridan Blvd", "Hampden Ave", "Quebec St", "Monaco Pkwy", "Colorado Blvd", "Santa Fe Dr", "York St",
	"Downing St", "Logan St", "Lincoln St", "Mississippi Ave", "Jewell Ave", "Yale Ave", "Iliff Ave", "Holly St", "Havana St"}

var notes = []string{"gate code 4411", "call on arrival", "dog on premises", "use loading dock", "ask for facilities manager",
	"parking in rear", "tenant works nights, knock loudly"}

// GenerateDay returns a realistic field-service day: technicians of five
// trades with skill levels, certifications (some expired on the date),
// tools, 8–10 h shifts with a lunch break window, and work orders clustered
// in neighbourhoods of a metro area with priorities, customer time windows
// and SLA deadlines. The same options give the same problem.
func GenerateDay(opts DayOptions) (*model.Problem, error) {
	if opts.Orders < 0 || opts.Orders > MaxGenerated {
		return nil, fmt.Errorf("scenario: generating a day: orders %d out of range [0, %d]", opts.Orders, MaxGenerated)
	}
	if opts.Technicians < 1 || opts.Technicians > MaxGenerated {
		return nil, fmt.Errorf("scenario: generating a day: technicians %d out of range [1, %d]", opts.Technicians, MaxGenerated)
	}
	if opts.Date.IsZero() {
		opts.Date = DefaultDate
	}
	if opts.Center.IsZero() {
		opts.Center = DefaultCenter
	}
	if opts.RadiusMeters == 0 {
		opts.RadiusMeters = DefaultRadiusMeters
	}
	if opts.RadiusMeters < 0 || math.IsNaN(opts.RadiusMeters) {
		return nil, errors.New("scenario: generating a day: negative radius")
	}
	if opts.Zone == nil {
		zone, err := time.LoadLocation("America/Denver")
		if err != nil {
			return nil, fmt.Errorf("scenario: generating a day: %w", err)
		}
		opts.Zone = zone
	}
	g := newGenerator(opts, opts.Seed, 0x9e3779b97f4a7c15)
	g.places()
	p := &model.Problem{Travel: &model.Travel{Model: model.TravelHaversine, SpeedKmh: geo.DefaultSpeedKmh, Detour: geo.DefaultDetour}}
	for i := range opts.Technicians {
		p.Technicians = append(p.Technicians, g.technician(i))
	}
	for i := range opts.Orders {
		p.WorkOrders = append(p.WorkOrders, g.order(i, p.Technicians))
	}
	return p, nil
}

// newGenerator returns a generator of the metro opts describes, drawing
// from the random stream (seed, stream): each kind of output has a stream
// of its own so that adding one never shifts another.
func newGenerator(opts DayOptions, seed, stream uint64) *generator {
	return &generator{opts: opts, r: rand.New(rand.NewPCG(seed, stream)), crew: make([]int, len(trades))}
}

type generator struct {
	opts DayOptions
	r    *rand.Rand
	// hoods are the centres of the neighbourhoods where orders cluster,
	// shops where some technicians start their day.
	hoods, shops []model.Location
	// crew counts the technicians of each trade so far.
	crew []int
}

func (g *generator) places() {
	for range 8 {
		g.hoods = append(g.hoods, g.inDisc(0.85))
	}
	for range 2 {
		g.shops = append(g.shops, g.inDisc(0.4))
	}
}

// at returns the instant hh:mm on the day, in the metro's zone.
func (g *generator) at(minutes int) time.Time {
	d := g.opts.Date
	return time.Date(d.Year, d.Month, d.Day, 0, minutes, 0, 0, g.opts.Zone)
}

// offset moves a location by metres north and east.
func (g *generator) offset(l model.Location, north, east float64) model.Location {
	lat := l.Lat + north/geo.EarthRadiusMeters*180/math.Pi
	lng := l.Lng + east/(geo.EarthRadiusMeters*math.Cos(l.Lat*math.Pi/180))*180/math.Pi
	return model.LatLng(round6(lat), round6(lng))
}

// inDisc returns a uniform point within frac of the metro's radius.
// offset is a flat-earth step and the metro a great-circle disc; they part
// over a regional radius, so a draw that lands outside is drawn again.
func (g *generator) inDisc(frac float64) model.Location {
	for {
		d := frac * g.opts.RadiusMeters * math.Sqrt(g.r.Float64())
		a := 2 * math.Pi * g.r.Float64()
		if l := g.offset(g.opts.Center, d*math.Cos(a), d*math.Sin(a)); g.inMetro(l) {
			return l
		}
	}
}

// inMetro reports whether l is within the metro's great-circle radius.
func (g *generator) inMetro(l model.Location) bool {
	return geo.GreatCircleMeters(geo.Point(l), geo.Point(g.opts.Center)) <= g.opts.RadiusMeters
}

// orderLocation puts most orders in neighbourhoods (a normal spread of
// 2.5 km around a centre) and the rest anywhere in the metro.
func (g *generator) orderLocation() model.Location {
	if g.r.Float64() < 0.3 {
		return g.inDisc(1)
	}
	hood := g.hoods[g.r.IntN(len(g.hoods))]
	for {
		if l := g.offset(hood, 2500*g.r.NormFloat64(), 2500*g.r.NormFloat64()); g.inMetro(l) {
			return l
		}
	}
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// pick returns an index drawn with the given shares.
func (g *generator) pick(shares []float64) int {
	x := g.r.Float64()
	for i, s := range shares {
		if x < s {
			return i
		}
		x -= s
	}
	return len(shares) - 1
}

func (g *generator) tradeIndex() int {
	shares := make([]float64, len(trades))
	for i, t := range trades {
		shares[i] = t.share
	}
	return g.pick(shares)
}

func tradeBySkill(skill string) trade {
	for _, t := range trades {
		if t.skill == skill {
			return t
		}
	}
	panic("scenario: unknown trade " + skill)
}

// staffedTrade returns the trade of the next technician: the one furthest
// below its share of the crew, so that a company employs people for the
// work it takes on, however small the crew.
func (g *generator) staffedTrade() int {
	n := 0
	for _, c := range g.crew {
		n += c
	}
	best, gap := 0, math.Inf(-1)
	for i, t := range trades {
		if d := t.share*float64(n+1) - float64(g.crew[i]); d > gap {
			best, gap = i, d
		}
	}
	g.crew[best]++
	return best
}

func (g *generator) technician(i int) model.Technician {
	k := g.staffedTrade()
	tr := trades[k]
	level := 1 + g.pick([]float64{0.10, 0.25, 0.35, 0.20, 0.10})
	if g.crew[k] == 1 {
		level = 3 + g.r.IntN(3) // every trade's first hire is a senior lead
	}
	t := model.Technician{
		ID:     fmt.Sprintf("T%d", i+1),
		Name:   techNames[g.r.IntN(len(techNames))] + " " + surnames[g.r.IntN(len(surnames))],
		Active: ptr(g.r.Float64() >= 0.04), // a few are on leave
		Skills: model.Skills{tr.skill: level},
	}
	if g.r.Float64() < 0.5 {
		t.Skills[tr.related] = 1 + g.r.IntN(2)
	}
	// Certifications: the trade's own, mostly held by those at level 2 and
	// up, plus general safety training; about one in eight has lapsed.
	for _, skill := range t.Skills.Names() {
		for _, c := range tradeBySkill(skill).certs {
			if t.Skills[skill] >= 2 && g.r.Float64() < 0.85 || g.r.Float64() < 0.2 {
				t.Certifications = appendCert(t.Certifications, model.Certification{Name: c, Expires: g.expiry()})
			}
		}
	}
	if g.r.Float64() < 0.6 {
		t.Certifications = append(t.Certifications, model.Certification{Name: "OSHA-10", Expires: g.expiry()})
	}
	t.Tools = []string{"ladder-8ft"}
	for _, tool := range []struct {
		name  string
		share float64
	}{{"ladder-24ft", 0.4}, {"lift", 0.15}} {
		if g.r.Float64() < tool.share {
			t.Tools = append(t.Tools, tool.name)
		}
	}
	for _, tool := range tr.tools {
		if g.r.Float64() < 0.8 {
			t.Tools = append(t.Tools, tool)
		}
	}
	if g.r.Float64() < 0.2 {
		t.Start = g.shops[g.r.IntN(len(g.shops))]
	} else {
		t.Start = g.inDisc(1) // home
	}
	start := 6*60 + 30*g.r.IntN(7) // 06:00 to 09:00
	hours := 8 + g.r.IntN(3)
	t.Shift = model.Shift{Start: g.at(start), End: g.at(start + hours*60)}
	lunch := max(11*60, start+3*60+30*g.r.IntN(3))
	t.Breaks = []model.Break{{Earliest: g.at(lunch), Latest: g.at(lunch + 120), Duration: model.Seconds(60 * []int{30, 30, 45}[g.r.IntN(3)])}}
	t.MaxJobs = 6 + g.r.IntN(5)
	t.Capacity = []float64{100}
	t.CostPerHour = float64(30 + 8*level + g.r.IntN(10))
	t.Overtime = model.Seconds(60 * []int{0, 30, 60, 120}[g.r.IntN(4)])
	return t
}

// appendCert adds a certification unless one of that name is held already.
func appendCert(certs []model.Certification, c model.Certification) []model.Certification {
	for _, have := range certs {
		if have.Name == c.Name {
			return certs
		}
	}
	return append(certs, c)
}

// expiry returns an expiry date: usually months or years after the day,
// about one in eight already past (by up to half a year), a few on the day
// itself (still valid).
func (g *generator) expiry() model.Date {
	day := time.Date(g.opts.Date.Year, g.opts.Date.Month, g.opts.Date.Day, 12, 0, 0, 0, time.UTC)
	var days int
	switch x := g.r.Float64(); {
	case x < 0.12:
		days = -1 - g.r.IntN(180)
	case x < 0.14:
		days = 0
	default:
		days = 30 + g.r.IntN(3*365)
	}
	return model.DateOf(day.AddDate(0, 0, days))
}

func (g *generator) order(i int, techs []model.Technician) model.WorkOrder {
	tr := trades[g.tradeIndex()]
	jt := jobTypes[g.pick([]float64{jobTypes[0].share, jobTypes[1].share, jobTypes[2].share, jobTypes[3].share})]
	customer := 100 + g.r.IntN(max(50, i))
	w := model.WorkOrder{
		ID:             fmt.Sprintf("WO-%d", 1001+i),
		CustomerID:     fmt.Sprintf("C%d", customer),
		SiteID:         fmt.Sprintf("S%d-%d", customer, 1+g.r.IntN(3)),
		EquipmentID:    fmt.Sprintf("%s-%d", tr.equipment, 1+g.r.IntN(12)),
		JobType:        jt.name,
		Priority:       model.Priorities[g.pick([]float64{0.04, 0.16, 0.60, 0.20})],
		Location:       g.orderLocation(),
		Address:        fmt.Sprintf("%d %s", 100+g.r.IntN(9800), streets[g.r.IntN(len(streets))]),
		Duration:       model.Seconds(60 * (jt.minMin + 15*g.r.IntN((jt.maxMin-jt.minMin)/15+1))),
		RequiredSkills: model.Skills{tr.skill: 1 + g.pick(jt.levels)},
		Status:         model.StatusCreated,
	}
	if g.r.Float64() < 0.01 {
		w.RequiredSkills[tr.skill] = 5 // a specialist's job: few can do it, some days nobody
	}
	if g.r.Float64() < jt.certShare {
		w.RequiredCertifications = []string{tr.certs[g.r.IntN(len(tr.certs))]}
	}
	if g.r.Float64() < jt.toolShare {
		switch x := g.r.Float64(); {
		case x < 0.05:
			w.RequiredTools = []string{"lift"}
		case x < 0.20:
			w.RequiredTools = []string{"ladder-24ft"}
		default:
			w.RequiredTools = []string{tr.tools[g.r.IntN(len(tr.tools))]}
		}
	}
	if jt.name == "install" && g.r.Float64() < 0.2 {
		w.TechniciansNeeded = 2
	}
	if jt.demandMax > 0 {
		w.Demand = []float64{float64(g.r.IntN(jt.demandMax + 1))}
	}
	g.timing(&w)
	if g.r.Float64() < 0.08 {
		w.PreferredTechnicians = []string{g.sameTrade(techs, tr.skill)}
	}
	if g.r.Float64() < 0.03 {
		if id := g.sameTrade(techs, tr.skill); !slices.Contains(w.PreferredTechnicians, id) {
			w.ExcludedTechnicians = []string{id}
		}
	}
	if g.r.Float64() < 0.15 {
		w.Notes = notes[g.r.IntN(len(notes))]
	}
	return w
}

// timing gives an order its customer windows and SLA deadline: most orders
// have one 2–4 h window between 08:00 and 18:00 (a few a morning and an
// afternoon one); emergencies have none but must be done within hours, and
// high-priority orders mostly by the end of the day.
func (g *generator) timing(w *model.WorkOrder) {
	switch w.Priority {
	case model.PriorityEmergency:
		w.SLADeadline = ptr(g.at(8*60 + 60*(2+g.r.IntN(5))))
		return
	case model.PriorityHigh:
		if g.r.Float64() < 0.6 {
			w.SLADeadline = ptr(g.at(17 * 60))
		}
	default:
		if g.r.Float64() < 0.15 {
			w.SLADeadline = ptr(g.at(60 * (14 + g.r.IntN(5))))
		}
	}
	if g.r.Float64() >= 0.75 {
		return
	}
	length := 60 * (2 + g.r.IntN(3))
	if g.r.Float64() < 0.1 {
		am := 8*60 + 30*g.r.IntN(4)
		pm := 13*60 + 30*g.r.IntN(4)
		w.TimeWindows = []model.TimeWindow{
			{Start: g.at(am), End: g.at(min(am+length, 12*60))},
			{Start: g.at(pm), End: g.at(min(pm+length, 18*60))},
		}
		return
	}
	start := 8*60 + 30*g.r.IntN((18*60-length-8*60)/30+1)
	w.TimeWindows = []model.TimeWindow{{Start: g.at(start), End: g.at(start + length)}}
}

// sameTrade returns a technician of the trade if there is one, else any.
func (g *generator) sameTrade(techs []model.Technician, skill string) string {
	var ids []string
	for i := range techs {
		if techs[i].Skills[skill] > 0 {
			ids = append(ids, techs[i].ID)
		}
	}
	if len(ids) == 0 {
		return techs[g.r.IntN(len(techs))].ID
	}
	return ids[g.r.IntN(len(ids))]
}

func ptr[T any](v T) *T { return &v }

var techNames = []string{"Ana", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hugo", "Imani", "Jon", "Keiko", "Luis",
	"Maya", "Nate", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yusuf", "Zoe"}

var surnames = []string{"Ruiz", "Okafor", "Nguyen", "Schmidt", "Patel", "Kowalski", "Haddad", "Johnson", "Silva", "Tanaka",
	"Murphy", "Alvarez", "Chen", "Novak", "Brooks", "Dubois", "Kim", "Larsen", "Moreno", "Singh"}
