package report

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// The width of a map, in SVG user units; its height follows the area's
// shape, within bounds.
const (
	mapW    = 560
	mapMinH = 300
	mapMaxH = 560
	mapPad  = 26
)

// projection maps WGS84 degrees to a map's SVG units by Web Mercator,
// fitted to the bounds of every map in the report, so that the policies'
// maps show the same area at the same scale and can be read side by side.
type projection struct {
	W, H           float64
	scale          float64
	x0, y0         float64 // Mercator coordinates of the top-left corner
	minLat, maxLat float64
	minLng, maxLng float64
}

func mercatorY(lat float64) float64 {
	return math.Log(math.Tan(math.Pi/4 + lat*math.Pi/360))
}

func mercatorX(lng float64) float64 { return lng * math.Pi / 180 }

// fit returns the projection that fits every point of the maps in a map
// of width mapW with mapPad around; ok is false when there is no point.
func fit(maps []RouteMap) (p projection, ok bool) {
	p.minLat, p.minLng = math.Inf(1), math.Inf(1)
	p.maxLat, p.maxLng = math.Inf(-1), math.Inf(-1)
	for _, m := range maps {
		eachPoint(m, func(_ string, q Point) {
			ok = true
			p.minLat, p.maxLat = math.Min(p.minLat, q.Lat), math.Max(p.maxLat, q.Lat)
			p.minLng, p.maxLng = math.Min(p.minLng, q.Lng), math.Max(p.maxLng, q.Lng)
		})
	}
	if !ok {
		return p, false
	}
	// A lone point (or a line) still needs an area around it: about a
	// kilometre.
	const least = 0.01
	if d := p.maxLat - p.minLat; d < least {
		p.minLat, p.maxLat = p.minLat-(least-d)/2, p.maxLat+(least-d)/2
	}
	if d := p.maxLng - p.minLng; d < least {
		p.minLng, p.maxLng = p.minLng-(least-d)/2, p.maxLng+(least-d)/2
	}
	spanX := mercatorX(p.maxLng) - mercatorX(p.minLng)
	spanY := mercatorY(p.maxLat) - mercatorY(p.minLat)
	p.W = mapW
	p.H = math.Round(math.Max(mapMinH, math.Min(mapMaxH, (mapW-2*mapPad)*spanY/spanX+2*mapPad)))
	p.scale = math.Min((p.W-2*mapPad)/spanX, (p.H-2*mapPad)/spanY)
	// Centre the area in the map.
	p.x0 = (mercatorX(p.minLng)+mercatorX(p.maxLng))/2 - p.W/2/p.scale
	p.y0 = (mercatorY(p.minLat)+mercatorY(p.maxLat))/2 + p.H/2/p.scale
	return p, true
}

// xy returns where a point is on the map.
func (p projection) xy(q Point) (x, y float64) {
	return (mercatorX(q.Lng) - p.x0) * p.scale, (p.y0 - mercatorY(q.Lat)) * p.scale
}

// lat and lng invert xy along one axis.
func (p projection) lat(y float64) float64 {
	return (2*math.Atan(math.Exp(p.y0-y/p.scale)) - math.Pi/2) * 180 / math.Pi
}

func (p projection) lng(x float64) float64 { return (x/p.scale + p.x0) * 180 / math.Pi }

// metresPerUnit is the map's scale at its centre.
func (p projection) metresPerUnit() float64 {
	const earthRadius = 6_371_008.8
	lat := p.lat(p.H/2) * math.Pi / 180
	return earthRadius * math.Cos(lat) / p.scale
}

// routeMap is one policy's map, laid out.
type routeMap struct {
	ID, Title, Desc string
	Policy          string
	W, H            float64
	Grid            []gridLine
	Routes          []mapLine
	Depots          []mapMark
	Unassigned      []mapMark
	Scale           scaleBar
	Legend          []legendEntry
	Stops           int
}

// gridLine is a meridian or parallel, labelled at the map's edge.
type gridLine struct {
	X1, Y1, X2, Y2 float64
	Label          string
	LX, LY         float64
	Anchor         string
}

// mapLine is one technician's route.
type mapLine struct {
	TechnicianID string
	Colour, Dash string
	Path         string
	Stops        []mapMark
	Desc         string
}

// mapMark is a point on the map: a stop, a depot, an unassigned order.
type mapMark struct {
	X, Y   float64
	Colour string
	Title  string
	Path   string // for marks drawn as a path (the unassigned cross)
}

// scaleBar is a bar of a round length, bottom left.
type scaleBar struct {
	X, X2, Y, Top float64
	Label         string
}

// legendEntry names a technician's colour on a map.
type legendEntry struct {
	TechnicianID string
	Colour, Dash string
	Stops        int
	// Idle is a technician with a depot and no route in this plan.
	Idle bool
}

// techColours are the technicians' colours: twelve that tell apart on a
// light ground, none of them the red of an unassigned order. Past twelve
// they repeat with a dash pattern.
var techColours = []string{
	"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
	"#17becf", "#bcbd22", "#393b79", "#637939", "#7f7f7f", "#6b6ecf",
}

var techDashes = []string{"", "7 4", "2 3"}

// technicianStyles gives every technician of the report's maps a colour
// (and, past the palette, a dash), the same on every map, in the order of
// their ids.
func technicianStyles(maps []RouteMap) map[string][2]string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, m := range maps {
		for _, r := range m.Routes {
			add(r.TechnicianID)
		}
		for _, d := range m.Depots {
			add(d.TechnicianID)
		}
	}
	slices.Sort(ids)
	styles := make(map[string][2]string, len(ids))
	for i, id := range ids {
		styles[id] = [2]string{techColours[i%len(techColours)], techDashes[(i/len(techColours))%len(techDashes)]}
	}
	return styles
}

// layoutMaps lays out every map on one projection.
func layoutMaps(maps []RouteMap) []routeMap {
	p, ok := fit(maps)
	if !ok {
		return nil
	}
	styles := technicianStyles(maps)
	grid := graticule(p)
	scale := scaleOf(p)
	var out []routeMap
	for i, m := range maps {
		rm := routeMap{ID: fmt.Sprintf("map-%d", i), Policy: m.Policy, W: p.W, H: p.H, Grid: grid, Scale: scale,
			Title: fmt.Sprintf("Routes of %s", m.Policy)}
		for _, r := range m.Routes {
			st := styles[r.TechnicianID]
			line := mapLine{TechnicianID: r.TechnicianID, Colour: st[0], Dash: st[1]}
			var d strings.Builder
			move := func(q Point) {
				x, y := p.xy(q)
				if d.Len() == 0 {
					d.WriteString("M")
				} else {
					d.WriteString(" L")
				}
				fmt.Fprintf(&d, "%s,%s", coord(x), coord(y))
			}
			if r.Start != nil {
				move(*r.Start)
			}
			for k, s := range r.Stops {
				move(s.Point)
				x, y := p.xy(s.Point)
				line.Stops = append(line.Stops, mapMark{X: x, Y: y, Colour: st[0],
					Title: fmt.Sprintf("%s: stop %d of %s", s.WorkOrderID, k+1, r.TechnicianID)})
			}
			if r.End != nil {
				move(*r.End)
			}
			line.Path = d.String()
			line.Desc = fmt.Sprintf("%s: %d stops", r.TechnicianID, len(r.Stops))
			rm.Stops += len(r.Stops)
			rm.Routes = append(rm.Routes, line)
			rm.Legend = append(rm.Legend, legendEntry{TechnicianID: r.TechnicianID, Colour: st[0], Dash: st[1], Stops: len(r.Stops)})
		}
		routed := map[string]bool{}
		for _, r := range m.Routes {
			routed[r.TechnicianID] = true
		}
		for _, dp := range m.Depots {
			if !routed[dp.TechnicianID] {
				routed[dp.TechnicianID] = true // one entry for a technician of two depots
				st := styles[dp.TechnicianID]
				rm.Legend = append(rm.Legend, legendEntry{TechnicianID: dp.TechnicianID, Colour: st[0], Dash: st[1], Idle: true})
			}
			x, y := p.xy(dp.Point)
			rm.Depots = append(rm.Depots, mapMark{X: x, Y: y, Colour: styles[dp.TechnicianID][0], Title: dp.TechnicianID + "'s depot"})
		}
		for _, u := range m.Unassigned {
			x, y := p.xy(u.Point)
			const r = 4.5
			rm.Unassigned = append(rm.Unassigned, mapMark{X: x, Y: y, Title: u.WorkOrderID + ": unassigned",
				Path: fmt.Sprintf("M%s,%s L%s,%s M%s,%s L%s,%s", coord(x-r), coord(y-r), coord(x+r), coord(y+r), coord(x-r), coord(y+r), coord(x+r), coord(y-r))})
		}
		rm.Desc = fmt.Sprintf("Map of the routes of %s: %d technicians' routes with %d stops, %d depots, %d unassigned orders.",
			m.Policy, len(rm.Routes), rm.Stops, len(rm.Depots), len(rm.Unassigned))
		out = append(out, rm)
	}
	return out
}

// graticule draws meridians and parallels at round degrees, three to six
// of each across the map.
func graticule(p projection) []gridLine {
	var lines []gridLine
	west, east := p.lng(0), p.lng(p.W)
	north, south := p.lat(0), p.lat(p.H)
	for _, v := range gridSteps(west, east) {
		x, _ := p.xy(Point{Lng: v})
		lines = append(lines, gridLine{X1: x, Y1: 0, X2: x, Y2: p.H, Label: degrees(v, "E", "W"), LX: x + 3, LY: 12, Anchor: "start"})
	}
	for _, v := range gridSteps(south, north) {
		_, y := p.xy(Point{Lat: v})
		lines = append(lines, gridLine{X1: 0, Y1: y, X2: p.W, Y2: y, Label: degrees(v, "N", "S"), LX: p.W - 4, LY: y - 3, Anchor: "end"})
	}
	return lines
}

// gridSteps returns the round values strictly inside (lo, hi).
func gridSteps(lo, hi float64) []float64 {
	ticks, _, _ := niceTicks(lo, hi, 4, false)
	var in []float64
	for _, t := range ticks {
		if t > lo && t < hi {
			in = append(in, t)
		}
	}
	return in
}

func degrees(v float64, pos, neg string) string {
	h := pos
	if v < 0 {
		h, v = neg, -v
	}
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "°" + h
}

// scaleOf picks a round length near a fifth of the map's width.
func scaleOf(p projection) scaleBar {
	per := p.metresPerUnit()
	want := p.W / 5 * per
	mag := math.Pow(10, math.Floor(math.Log10(want)))
	length := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag <= want {
			length = m * mag
		}
	}
	label := fmt.Sprintf("%s m", formatNumber(length))
	if length >= 1000 {
		label = fmt.Sprintf("%s km", formatNumber(length/1000))
	}
	return scaleBar{X: 14, X2: 14 + length/per, Y: p.H - 14, Top: p.H - 19, Label: label}
}
