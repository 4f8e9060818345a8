package scenario

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// ErrSolomonFormat is matched (with errors.Is) by every error ReadSolomon
// returns for text that is not a well-formed Solomon instance.
var ErrSolomonFormat = errors.New("scenario: not a Solomon instance")

// SolomonEpoch is the instant that time 0 of a Solomon instance becomes in
// Problem: a fixed day, so that the same instance always gives the same
// problem.
var SolomonEpoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// maxPlaces bounds the decimals of a coordinate: more cannot come from a
// real instance file, and the bound keeps every scaled value in an int64.
const maxPlaces = 9

// Decimal is a number held exactly as read from an instance file: Units
// divided by 10^Places. Coordinates stay exact so that arc lengths can be
// truncated to one decimal without floating-point surprises.
type Decimal struct {
	Units  int64
	Places int
}

// Float64 returns the nearest float64 to d.
func (d Decimal) Float64() float64 {
	f, _ := new(big.Rat).SetFrac(big.NewInt(d.Units), pow10Big(d.Places)).Float64()
	return f
}

// String formats d with its own number of decimals.
func (d Decimal) String() string {
	return new(big.Rat).SetFrac(big.NewInt(d.Units), pow10Big(d.Places)).FloatString(d.Places)
}

// Customer is one row of a Solomon instance's customer table. Times are in
// the instance's time unit, counted from 0; Problem makes them seconds.
type Customer struct {
	No      int
	X, Y    Decimal
	Demand  int64
	Ready   int64
	Due     int64
	Service int64
}

// Solomon is a VRPTW instance in the Solomon / Gehring-Homberger text
// format: K identical vehicles of capacity Q based at a depot, and customers
// with a demand, a service time and a time window for the start of service.
type Solomon struct {
	Name     string
	Vehicles int
	Capacity int64
	// Customers[0] is the depot; Customers[i] is customer i.
	Customers []Customer
}

// ReadSolomonFile reads a Solomon instance from a file.
func ReadSolomonFile(path string) (*Solomon, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: reading Solomon instance: %w", err)
	}
	defer f.Close()
	p := &solomonParser{sc: bufio.NewScanner(f), s: &Solomon{}}
	if err := p.parse(); err != nil {
		return nil, fmt.Errorf("scenario: reading Solomon instance %s: %w", path, err)
	}
	return p.s, nil
}

// ReadSolomon reads a Solomon / Gehring-Homberger VRPTW instance: a name
// line, a VEHICLE section (NUMBER CAPACITY and their values), and a CUSTOMER
// table (CUST NO., XCOORD., YCOORD., DEMAND, READY TIME, DUE DATE, SERVICE
// TIME) whose rows are numbered 0 (the depot) to n in order. Coordinates may
// be integers or decimals; every other number must be a whole number, as it
// is in every published instance. Blank lines and CRLF line ends are
// allowed. Errors wrap ErrSolomonFormat (or the reader's error) and name the
// line.
func ReadSolomon(r io.Reader) (*Solomon, error) {
	p := &solomonParser{sc: bufio.NewScanner(r), s: &Solomon{}}
	if err := p.parse(); err != nil {
		return nil, fmt.Errorf("scenario: reading Solomon instance: %w", err)
	}
	return p.s, nil
}

type solomonParser struct {
	sc     *bufio.Scanner
	line   int
	fields []string
	s      *Solomon
}

// next moves to the next non-blank line and reports whether there is one.
func (p *solomonParser) next() (bool, error) {
	for p.sc.Scan() {
		p.line++
		text := strings.TrimPrefix(p.sc.Text(), "\ufeff")
		if p.fields = strings.Fields(text); len(p.fields) > 0 {
			return true, nil
		}
	}
	if err := p.sc.Err(); err != nil {
		return false, fmt.Errorf("after line %d: %w", p.line, err)
	}
	return false, nil
}

// errorf reports a format error at the current line.
func (p *solomonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s: %w", p.line, fmt.Sprintf(format, args...), ErrSolomonFormat)
}

// expect moves to the next non-blank line, which must start with the words.
func (p *solomonParser) expect(what string, words ...string) error {
	ok, err := p.next()
	if err != nil {
		return err
	}
	if !ok && p.line == 0 {
		return fmt.Errorf("the file is empty: %w", ErrSolomonFormat)
	}
	if !ok {
		return fmt.Errorf("line %d: the file ends before %s: %w", p.line, what, ErrSolomonFormat)
	}
	if len(p.fields) < len(words) {
		return p.errorf("got %q, want %s", strings.Join(p.fields, " "), what)
	}
	for i, w := range words {
		if !strings.EqualFold(p.fields[i], w) {
			return p.errorf("got %q, want %s", strings.Join(p.fields, " "), what)
		}
	}
	return nil
}

func (p *solomonParser) parse() error {
	if err := p.expect("the instance name"); err != nil {
		return err
	}
	p.s.Name = strings.Join(p.fields, " ")
	if err := p.expect("VEHICLE", "VEHICLE"); err != nil {
		return err
	}
	if err := p.expect("the header NUMBER CAPACITY", "NUMBER", "CAPACITY"); err != nil {
		return err
	}
	if err := p.vehicles(); err != nil {
		return err
	}
	if err := p.expect("CUSTOMER", "CUSTOMER"); err != nil {
		return err
	}
	if err := p.expect("the customer table header (CUST NO. …)", "CUST"); err != nil {
		return err
	}
	for {
		ok, err := p.next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if err := p.customer(); err != nil {
			return err
		}
	}
	if len(p.s.Customers) == 0 {
		return fmt.Errorf("line %d: the file ends without customer rows, not even the depot: %w", p.line, ErrSolomonFormat)
	}
	return nil
}

func (p *solomonParser) vehicles() error {
	if err := p.expect("the number of vehicles and their capacity"); err != nil {
		return err
	}
	if len(p.fields) != 2 {
		return p.errorf("got %d values, want 2 (number of vehicles, capacity)", len(p.fields))
	}
	k, err := p.whole("NUMBER", p.fields[0])
	if err != nil {
		return err
	}
	q, err := p.whole("CAPACITY", p.fields[1])
	if err != nil {
		return err
	}
	if k < 1 || k > math.MaxInt32 {
		return p.errorf("NUMBER %d: want at least one vehicle", k)
	}
	p.s.Vehicles, p.s.Capacity = int(k), q
	return nil
}

// customerColumns names the columns of a customer row, for error messages.
var customerColumns = [...]string{"CUST NO.", "XCOORD.", "YCOORD.", "DEMAND", "READY TIME", "DUE DATE", "SERVICE TIME"}

func (p *solomonParser) customer() error {
	if len(p.fields) != len(customerColumns) {
		return p.errorf("got %d values, want 7 (%s)", len(p.fields), strings.Join(customerColumns[:], ", "))
	}
	var whole [7]int64
	var c Customer
	for i, f := range p.fields {
		var err error
		switch i {
		case 1:
			c.X, err = p.decimal(customerColumns[i], f)
		case 2:
			c.Y, err = p.decimal(customerColumns[i], f)
		default:
			whole[i], err = p.whole(customerColumns[i], f)
		}
		if err != nil {
			return err
		}
	}
	c.Demand, c.Ready, c.Due, c.Service = whole[3], whole[4], whole[5], whole[6]
	if want := int64(len(p.s.Customers)); whole[0] != want {
		return p.errorf("customer number %d, want %d: customers are numbered 0 (the depot) to n in order", whole[0], want)
	}
	c.No = int(whole[0])
	if err := p.checkCustomer(c); err != nil {
		return err
	}
	p.s.Customers = append(p.s.Customers, c)
	return nil
}

func (p *solomonParser) checkCustomer(c Customer) error {
	switch {
	case c.Demand < 0:
		return p.errorf("customer %d: negative DEMAND %d", c.No, c.Demand)
	case c.Service < 0:
		return p.errorf("customer %d: negative SERVICE TIME %d", c.No, c.Service)
	case c.Ready < 0:
		return p.errorf("customer %d: negative READY TIME %d", c.No, c.Ready)
	case c.Due < c.Ready:
		return p.errorf("customer %d: DUE DATE %d before READY TIME %d", c.No, c.Due, c.Ready)
	case c.No == 0 && c.Due == c.Ready:
		return p.errorf("the depot's DUE DATE equals its READY TIME: no route fits in the day")
	}
	return nil
}

// whole parses a whole number, as every column but the coordinates holds.
func (p *solomonParser) whole(column, s string) (int64, error) {
	d, err := parseDecimal(s)
	if err != nil || d.Places > 0 {
		return 0, p.errorf("%s %q: want a whole number", column, s)
	}
	return d.Units, nil
}

func (p *solomonParser) decimal(column, s string) (Decimal, error) {
	d, err := parseDecimal(s)
	if err != nil {
		return Decimal{}, p.errorf("%s %q: %v", column, s, err)
	}
	return d, nil
}

// parseDecimal reads an optionally signed decimal such as "-12.25" exactly.
// A trailing ".0" counts as decimals, so "3.0" has one place. The value,
// scaled to maxPlaces decimals, must stay below 2^62 in magnitude, so that
// the difference of two scaled values fits in an int64.
func parseDecimal(s string) (Decimal, error) {
	body, neg := s, false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		body, neg = body[1:], body[0] == '-'
	}
	whole, frac, dot := strings.Cut(body, ".")
	if whole+frac == "" || dot && frac == "" || strings.Trim(whole+frac, "0123456789") != "" {
		return Decimal{}, errors.New("want a decimal number")
	}
	if len(frac) > maxPlaces {
		return Decimal{}, fmt.Errorf("more than %d decimals", maxPlaces)
	}
	units, err := strconv.ParseInt(whole+frac, 10, 64)
	d := Decimal{Units: units, Places: len(frac)}
	if _, fits := d.scaled(maxPlaces); err != nil || !fits {
		return Decimal{}, errors.New("out of range")
	}
	if neg {
		d.Units = -d.Units
	}
	return d, nil
}

// ArcTenths returns the DIMACS 2021 length of the arc from customer i to
// customer j: the Euclidean distance truncated to one decimal, in tenths of
// the instance's unit. It is exact: ⌊10·√(dx²+dy²)⌋ is the integer square
// root of ⌊100·(dx²+dy²)⌋, computed on the coordinates scaled to integers.
// i and j must be in range.
func (s *Solomon) ArcTenths(i, j int) int64 {
	return arcTenths(s.Customers[i], s.Customers[j])
}

func arcTenths(a, b Customer) int64 {
	p := max(a.X.Places, a.Y.Places, b.X.Places, b.Y.Places)
	ax, ok1 := a.X.scaled(p)
	bx, ok2 := b.X.scaled(p)
	ay, ok3 := a.Y.scaled(p)
	by, ok4 := b.Y.scaled(p)
	dx, dy := ax-bx, ay-by
	const limit = 1 << 28 // 100·(dx²+dy²) then stays below 2^64
	if ok1 && ok2 && ok3 && ok4 && dx > -limit && dx < limit && dy > -limit && dy < limit {
		n := 100 * (uint64(dx*dx) + uint64(dy*dy))
		return int64(isqrt(n / pow10Squared[p]))
	}
	return bigArcTenths(a, b, p)
}

// bigArcTenths is arcTenths for coordinates too large for 64-bit squares.
func bigArcTenths(a, b Customer, p int) int64 {
	sq := func(u, v Decimal) *big.Int {
		d := new(big.Int).Sub(u.scaledBig(p), v.scaledBig(p))
		return d.Mul(d, d)
	}
	n := new(big.Int).Add(sq(a.X, b.X), sq(a.Y, b.Y))
	n.Mul(n, big.NewInt(100))
	scale := pow10Big(p)
	n.Quo(n, scale.Mul(scale, scale))
	return n.Sqrt(n).Int64()
}

// scaled returns d·10^p as an integer, and whether it is below 2^62 in
// magnitude (so that the difference of two such values fits in an int64);
// p must be at least d.Places.
func (d Decimal) scaled(p int) (int64, bool) {
	const bound = 1 << 62
	if p > maxPlaces || d.Places < 0 || d.Places > p {
		return 0, false
	}
	m := pow10[p-d.Places]
	if d.Units >= bound/m || d.Units <= -bound/m {
		return 0, false
	}
	return d.Units * m, true
}

func (d Decimal) scaledBig(p int) *big.Int {
	return new(big.Int).Mul(big.NewInt(d.Units), pow10Big(p-d.Places))
}

var pow10 = [...]int64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

var pow10Squared = [...]uint64{1, 1e2, 1e4, 1e6, 1e8, 1e10, 1e12, 1e14, 1e16, 1e18}

func pow10Big(p int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
}

// isqrt returns ⌊√n⌋ exactly: the float estimate is corrected in integers.
func isqrt(n uint64) uint64 {
	r := min(uint64(math.Sqrt(float64(n))), math.MaxUint32)
	for r*r > n {
		r--
	}
	for r < math.MaxUint32 && (r+1)*(r+1) <= n {
		r++
	}
	return r
}

// Problem converts the instance to a dispatch problem whose objective is the
// instance's total distance with every customer served:
//
//   - customer i becomes work order "i" at matrix row i, lasting its service
//     time, with one time window [ready, due] and demand [q], priority
//     normal; the depot (row 0) is not an order;
//   - the K vehicles become technicians "v1"…"vK" of capacity [Q], starting
//     and ending at the depot, with the depot's [ready, due] as their shift;
//   - one instance time unit is one second after SolomonEpoch, in UTC;
//   - travel is a matrix in which the duration in seconds and the distance
//     in metres of every arc both equal its DIMACS length (ArcTenths / 10);
//   - weights: unassigned 10^6 per order and distance 1000 per kilometre, so
//     that the objective is the distance in instance units; every other
//     weight is 0.
func (s *Solomon) Problem() *model.Problem {
	depot := s.Customers[0]
	p := &model.Problem{
		Weights: &model.Weights{Unassigned: 1e6, Distance: 1000},
		Travel:  s.travel(),
	}
	for k := range s.Vehicles {
		end := model.MatrixLocation(0)
		p.Technicians = append(p.Technicians, model.Technician{
			ID:       fmt.Sprintf("v%d", k+1),
			Start:    model.MatrixLocation(0),
			End:      &end,
			Shift:    model.Shift{Start: solomonTime(depot.Ready), End: solomonTime(depot.Due)},
			Capacity: []float64{float64(s.Capacity)},
		})
	}
	for _, c := range s.Customers[1:] {
		window := model.TimeWindow{Start: solomonTime(c.Ready), End: solomonTime(c.Due)}
		p.WorkOrders = append(p.WorkOrders, model.WorkOrder{
			ID:          strconv.Itoa(c.No),
			Priority:    model.PriorityNormal,
			Location:    model.MatrixLocation(c.No),
			Duration:    model.Seconds(c.Service),
			TimeWindows: []model.TimeWindow{window},
			Demand:      []float64{float64(c.Demand)},
		})
	}
	return p
}

// solomonTime converts an instance time to an instant.
func solomonTime(t int64) time.Time { return SolomonEpoch.Add(time.Duration(t) * time.Second) }

// travel returns the DIMACS travel matrix: seconds and metres both equal
// the truncated arc length.
func (s *Solomon) travel() *model.Travel {
	n := len(s.Customers)
	t := &model.Travel{Model: model.TravelMatrix, Durations: make([][]float64, n), Distances: make([][]float64, n)}
	for i := range n {
		t.Durations[i] = make([]float64, n)
		for j := range n {
			t.Durations[i][j] = float64(s.ArcTenths(i, j)) / 10
		}
		// A copy, not the same rows: a caller that edits one matrix must
		// not change the other.
		t.Distances[i] = append([]float64(nil), t.Durations[i]...)
	}
	return t
}

// BKS is a best-known solution of a benchmark instance.
type BKS struct {
	Instance string
	// Vehicles is the number of routes of the best-known solution, or 0
	// when the source does not say.
	Vehicles int
	// Distance is its total distance in instance units.
	Distance float64
	Source   string
}

// ReadBKS reads a CSV file of best-known solutions with the columns
// instance, vehicles, distance and source (in any order, quoted or not), and
// returns them by instance name in lower case.
func ReadBKS(path string) (map[string]BKS, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: reading best-known solutions: %w", err)
	}
	defer f.Close()
	out, err := readBKS(f)
	if err != nil {
		return nil, fmt.Errorf("scenario: reading best-known solutions from %s: %w", path, err)
	}
	return out, nil
}

func readBKS(r io.Reader) (map[string]BKS, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, name := range []string{"instance", "vehicles", "distance", "source"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("line 1: no %q column", name)
		}
	}
	out := map[string]BKS{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err // a *csv.ParseError names its line
		}
		line, _ := cr.FieldPos(0)
		b, err := bksRow(rec, col)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		key := strings.ToLower(b.Instance)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: a second row for %q", line, b.Instance)
		}
		out[key] = b
	}
}

func bksRow(rec []string, col map[string]int) (BKS, error) {
	b := BKS{
		Instance: strings.TrimSpace(rec[col["instance"]]),
		Source:   strings.TrimSpace(rec[col["source"]]),
	}
	if b.Instance == "" {
		return BKS{}, errors.New("no instance name")
	}
	if v := strings.TrimSpace(rec[col["vehicles"]]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return BKS{}, fmt.Errorf("%s: vehicles %q: want a positive whole number or nothing", b.Instance, v)
		}
		b.Vehicles = n
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(rec[col["distance"]]), 64)
	if err != nil || d <= 0 || math.IsInf(d, 0) {
		return BKS{}, fmt.Errorf("%s: distance %q: want a positive number", b.Instance, rec[col["distance"]])
	}
	b.Distance = d
	return b, nil
}
