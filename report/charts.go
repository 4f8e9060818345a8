package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The size of a chart, in SVG user units (CSS pixels at 100 %).
const (
	chartW = 340
	chartH = 230
)

// chartArea is where a chart draws its data, inside its axes.
type chartArea struct{ X, Y, W, H float64 }

func (a chartArea) Bottom() float64 { return a.Y + a.H }
func (a chartArea) Right() float64  { return a.X + a.W }
func (a chartArea) Middle() float64 { return a.X + a.W/2 }

// tick is one labelled line of an axis, at Pos along it.
type tick struct {
	Pos   float64
	Label string
}

// barChart is one KPI across policies: one bar each, on a common axis.
type barChart struct {
	ID, Title, Desc string
	Unit            string
	W, H            float64
	Area            chartArea
	Ticks           []tick
	Zero            float64 // the y of the value 0
	Bars            []bar
}

// bar is one policy's value.
type bar struct {
	Class      string // the policy's colour class
	X, Y, W, H float64
	CX         float64 // the middle of the bar
	Value      string  // the value, formatted
	ValueY     float64
	Label      string // the policy's name, shortened to fit
	Full       string // the policy's name
	Best       bool
	Missing    bool // no value: no bar, a dash
}

// kpiChart lays out one KPI as a bar chart, the policies side by side.
func kpiChart(id string, k KPIRow, policies []PolicyColumn) barChart {
	c := barChart{ID: id, Title: k.Name, Unit: k.Unit, W: chartW, H: chartH,
		Area: chartArea{X: 52, Y: 30, W: chartW - 52 - 14, H: chartH - 30 - 28}}
	lo, hi := domain(k.Values, true)
	ticks, lo, hi := niceTicks(lo, hi, 5, integers(k.Values))
	y := func(v float64) float64 { return c.Area.Bottom() - (v-lo)/(hi-lo)*c.Area.H }
	for _, t := range ticks {
		c.Ticks = append(c.Ticks, tick{Pos: y(t), Label: formatNumber(t)})
	}
	c.Zero = y(0)
	best := bestIndex(k.Values, k.Better)
	format := rowFormat(k.Values)
	n := float64(len(k.Values))
	slot := c.Area.W / n
	width := math.Min(slot*0.62, 56)
	labelChars := int(slot / 6.2)
	var desc []string
	for i, v := range k.Values {
		if math.IsNaN(v) {
			c.Bars = append(c.Bars, bar{Class: policyClass(i), X: c.Area.X + slot*float64(i) + (slot-width)/2, Y: c.Zero, W: width,
				CX: c.Area.X + slot*float64(i) + slot/2, Value: formatNumber(v), ValueY: c.Zero - 6,
				Label: shorten(policies[i].Name, labelChars), Full: policies[i].Name, Missing: true})
			desc = append(desc, fmt.Sprintf("%s no plan", policies[i].Name))
			continue
		}
		top, bottom := y(math.Max(v, 0)), y(math.Min(v, 0))
		b := bar{Class: policyClass(i), X: c.Area.X + slot*float64(i) + (slot-width)/2, Y: top, W: width, H: math.Max(bottom-top, 0),
			Value: format(v), Label: shorten(policies[i].Name, labelChars), Full: policies[i].Name, Best: best[i]}
		b.CX = b.X + b.W/2
		b.ValueY = top - 6
		if v < 0 {
			b.ValueY = bottom + 13
		}
		c.Bars = append(c.Bars, b)
		desc = append(desc, fmt.Sprintf("%s %s", policies[i].Name, withUnit(v, k.Unit)))
	}
	c.Desc = fmt.Sprintf("%s by policy: %s.%s", k.Name, strings.Join(desc, ", "), bestSentence(k, policies, best))
	return c
}

func bestSentence(k KPIRow, policies []PolicyColumn, best []bool) string {
	var names []string
	for i, b := range best {
		if b {
			names = append(names, policies[i].Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	dir := "lowest"
	if k.Better == Higher {
		dir = "highest"
	}
	return fmt.Sprintf(" Best (%s): %s.", dir, strings.Join(names, ", "))
}

// lineChart is one KPI traced across a sweep's values.
type lineChart struct {
	ID, Title, Desc string
	Unit            string
	XLabel          string
	W, H            float64
	Area            chartArea
	YTicks, XTicks  []tick
	Path            string
	Points          []linePoint
}

// linePoint is one swept value and the KPI there.
type linePoint struct {
	X, Y   float64
	Label  string // "weight = value: KPI"
	Value  string
	ValueY float64
}

// sweepChart lays out one KPI of a sweep as a line over the swept values,
// on a logarithmic axis when they are positive and span a factor of four
// or more (doublings read evenly), else a linear one.
func sweepChart(id string, s Sweep, k KPIRow) lineChart {
	c := lineChart{ID: id, Title: k.Name, Unit: k.Unit, W: chartW, H: chartH, XLabel: s.Weight,
		Area: chartArea{X: 52, Y: 30, W: chartW - 52 - 14, H: chartH - 30 - 40}}
	logX := s.Values[0] > 0 && s.Values[len(s.Values)-1]/s.Values[0] >= 4
	fx := func(v float64) float64 { return v }
	if logX {
		fx = math.Log
		c.XLabel += " (log scale)"
	}
	x0, x1 := fx(s.Values[0]), fx(s.Values[len(s.Values)-1])
	// The first and last values sit inside the axes, so that their labels
	// clear the ticks.
	const inset = 16
	x := func(v float64) float64 { return c.Area.X + inset + (fx(v)-x0)/(x1-x0)*(c.Area.W-2*inset) }
	lo, hi := domain(k.Values, false)
	ticks, lo, hi := niceTicks(lo, hi, 5, integers(k.Values))
	format := rowFormat(k.Values)
	y := func(v float64) float64 { return c.Area.Bottom() - (v-lo)/(hi-lo)*c.Area.H }
	for _, t := range ticks {
		c.YTicks = append(c.YTicks, tick{Pos: y(t), Label: formatNumber(t)})
	}
	var d strings.Builder
	var desc []string
	gap := true
	for i, w := range s.Values {
		c.XTicks = append(c.XTicks, tick{Pos: x(w), Label: formatNumber(w)})
		if math.IsNaN(k.Values[i]) {
			gap = true
			desc = append(desc, fmt.Sprintf("no plan at %s", formatNumber(w)))
			continue
		}
		p := linePoint{X: x(w), Y: y(k.Values[i]), Value: format(k.Values[i]),
			Label: fmt.Sprintf("%s = %s: %s", s.Weight, formatNumber(w), withUnit(k.Values[i], k.Unit))}
		// The label goes above the point, or below it where the line
		// comes down to it from both sides.
		p.ValueY = p.Y - 8
		v := k.Values[i]
		if i > 0 && i < len(s.Values)-1 && v < k.Values[i-1] && v < k.Values[i+1] { // false for NaN
			p.ValueY = p.Y + 16
		}
		c.Points = append(c.Points, p)
		switch {
		case d.Len() == 0:
			d.WriteString("M")
		case gap:
			d.WriteString(" M")
		default:
			d.WriteString(" L")
		}
		gap = false
		fmt.Fprintf(&d, "%s,%s", coord(p.X), coord(p.Y))
		desc = append(desc, fmt.Sprintf("%s at %s", withUnit(k.Values[i], k.Unit), formatNumber(w)))
	}
	c.Path = d.String()
	c.Desc = fmt.Sprintf("%s as %s goes from %s to %s: %s.", k.Name, s.Weight,
		formatNumber(s.Values[0]), formatNumber(s.Values[len(s.Values)-1]), strings.Join(desc, ", "))
	return c
}

// domain is the range of values a chart's axis must hold, with room above
// the highest for its label. Bars are read from zero, so their axis holds
// it; a line is read by its shape, so its axis fits the values (but does
// not go below zero for values that do not).
func domain(values []float64, zero bool) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) { // no values at all
		lo, hi = 0, 0
	}
	if zero {
		lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	}
	nonNegative := lo >= 0
	span := hi - lo
	if span == 0 {
		// A flat line sits in the middle of a small range around it.
		span = math.Max(math.Abs(hi)*0.2, 1)
		lo, hi = lo-span/2, hi+span/2
	}
	if !zero {
		lo -= span * 0.15
	}
	if nonNegative && lo < 0 {
		lo = 0
	}
	if hi > 0 || !zero {
		hi += span * 0.12
	}
	return lo, hi
}

// integers reports whether every value is whole, so that an axis of
// counts is labelled in whole numbers.
func integers(values []float64) bool {
	for _, v := range values {
		if v != math.Trunc(v) && !math.IsNaN(v) {
			return false
		}
	}
	return true
}

// niceTicks returns about n round values covering [lo, hi] (steps of 1,
// 2, 2.5 or 5 times a power of ten, whole when whole is set), and the
// range they span.
func niceTicks(lo, hi float64, n int, whole bool) (ticks []float64, start, end float64) {
	if !(hi > lo) {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	if whole {
		raw = math.Max(raw, 1)
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if whole && m*mag != math.Trunc(m*mag) {
			continue
		}
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start = math.Floor(lo/step) * step
	end = math.Ceil(hi/step) * step
	// Round off the float noise of multiplication to the step's decimals.
	unit := math.Pow(10, math.Max(0, math.Ceil(-math.Log10(step))+1))
	for i := 0; ; i++ {
		v := start + float64(i)*step
		if v > end+step/2 {
			break
		}
		ticks = append(ticks, math.Round(v*unit)/unit)
	}
	return ticks, start, end
}

// bestIndex marks the best values of a row; none when the row has no
// direction or every value ties. Missing values are never best.
func bestIndex(values []float64, better Better) []bool {
	best := make([]bool, len(values))
	if better == Neither {
		return best
	}
	target, distinct := math.NaN(), 0
	for _, v := range values {
		switch {
		case math.IsNaN(v):
			continue
		case math.IsNaN(target):
			target, distinct = v, 1
		case v != target:
			distinct++
			if better == Lower && v < target || better == Higher && v > target {
				target = v
			}
		}
	}
	if distinct < 2 {
		return best
	}
	for i, v := range values {
		best[i] = v == target
	}
	return best
}

// formatNumber writes a value as people read it: integers whole, with
// thousands separated; others to one decimal from 10 up, two from 1 up,
// three significant figures below; a missing value (NaN) as a dash.
func formatNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v) || v == math.Trunc(v):
		return formatFixed(v, 0)
	case a >= 10:
		return trimZeros(formatFixed(v, 1))
	case a >= 1:
		return trimZeros(formatFixed(v, 2))
	}
	return trimZeros(formatFixed(v, decimalsFor(a)))
}

// rowFormat returns the format of a row of values: the decimals its
// largest value needs (as formatNumber would write it, but none from a
// thousand up) for every value, so that a column of figures lines up and
// 4.2 does not sit beside 3.98.
func rowFormat(values []float64) func(float64) string {
	largest, whole := 0.0, true
	for _, v := range values {
		if math.IsNaN(v) {
			continue
		}
		largest = math.Max(largest, math.Abs(v))
		whole = whole && v == math.Trunc(v)
	}
	d := 0
	switch {
	case whole, largest >= 1000: // a thousand and more: decimals are noise
	case largest >= 10:
		d = 1
	case largest >= 1:
		d = 2
	default:
		d = decimalsFor(largest)
	}
	return func(v float64) string { return formatFixed(v, d) }
}

// decimalsFor is how many decimals show three significant figures of a
// value below 1.
func decimalsFor(a float64) int {
	if a == 0 {
		return 0
	}
	return min(max(int(math.Ceil(-math.Log10(a)))+2, 0), 12)
}

// formatFixed writes v to d decimals, thousands separated from five
// digits up, with a true minus sign; NaN as a dash.
func formatFixed(v float64, d int) string {
	if math.IsNaN(v) {
		return "—"
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', d, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	if len(intPart) > 4 {
		var b strings.Builder
		for i, r := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(r)
		}
		intPart = b.String()
	}
	if frac != "" {
		intPart += "." + frac
	}
	if v < 0 && strings.Trim(s, "0.") != "" {
		return "−" + intPart
	}
	return intPart
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// withUnit writes a value and its unit.
func withUnit(v float64, unit string) string {
	if unit == "" {
		return formatNumber(v)
	}
	if unit == "%" {
		return formatNumber(v) + " %"
	}
	return formatNumber(v) + " " + unit
}

// shorten cuts a label to at most n characters, ending it with an
// ellipsis when cut.
func shorten(s string, n int) string {
	if n < 4 {
		n = 4
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// coord writes an SVG coordinate to a tenth of a unit, which is finer
// than a screen pixel and keeps the page small.
func coord(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// policyClass names the colour of the i-th policy in the page's CSS.
func policyClass(i int) string { return fmt.Sprintf("p%d", i%len(policyColours)) }

// policyColours are the policies' colours, in order: distinct for up to
// six policies, then repeated.
var policyColours = []string{"#2f6fb0", "#e08a1e", "#3a9a5b", "#8a5cb8", "#c2497a", "#4b9fb1"}
