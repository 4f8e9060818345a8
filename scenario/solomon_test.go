package scenario

import (
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

var solomonDir = flag.String("solomon", "../testdata/solomon",
	"directory of the 56 Solomon instances and bks_distance_only.csv")

// sharedSolomonDir returns the directory of the full benchmark set, kept in
// the repository's testdata so that every checkout tests all 56 instances.
func sharedSolomonDir(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(*solomonDir, "c101.txt")); err != nil {
		t.Fatalf("the Solomon benchmark set is not at %s (-solomon DIR): %v", *solomonDir, err)
	}
	return *solomonDir
}

func readSolomon(t *testing.T, path string) *Solomon {
	t.Helper()
	s, err := ReadSolomonFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReadSolomonTiny(t *testing.T) {
	s := readSolomon(t, "testdata/solomon/tiny.txt")
	if s.Name != "TINY5" || s.Vehicles != 2 || s.Capacity != 30 || len(s.Customers) != 7 {
		t.Fatalf("got name %q, %d vehicles of %d, %d rows; want TINY5, 2 of 30, 7 rows", s.Name, s.Vehicles, s.Capacity, len(s.Customers))
	}
	want := []Customer{
		{No: 0, X: Decimal{0, 1}, Y: Decimal{0, 1}, Demand: 0, Ready: 0, Due: 200, Service: 0},
		{No: 3, X: Decimal{-6, 0}, Y: Decimal{8, 0}, Demand: 15, Ready: 0, Due: 100, Service: 10},
		{No: 4, X: Decimal{-60, 1}, Y: Decimal{-85, 1}, Demand: 5, Ready: 80, Due: 90, Service: 5},
		{No: 5, X: Decimal{1, 0}, Y: Decimal{1, 0}, Demand: 10, Ready: 10, Due: 10, Service: 10},
	}
	for _, w := range want {
		if got := s.Customers[w.No]; got != w {
			t.Errorf("customer %d: got %+v, want %+v", w.No, got, w)
		}
	}
}

func TestReadSolomonCRLF(t *testing.T) {
	s := readSolomon(t, "../testdata/solomon/c101.txt")
	if s.Name != "C101" || s.Vehicles != 25 || s.Capacity != 200 || len(s.Customers) != 101 {
		t.Fatalf("got %q, %d vehicles of %d, %d rows", s.Name, s.Vehicles, s.Capacity, len(s.Customers))
	}
	if got, want := s.Customers[100], (Customer{100, Decimal{55, 0}, Decimal{85, 0}, 20, 647, 726, 90}); got != want {
		t.Errorf("customer 100: got %+v, want %+v", got, want)
	}
}

// solomonText builds an instance text from its customer rows.
func solomonText(rows ...string) string {
	return "T1\n\nVEHICLE\nNUMBER CAPACITY\n 2 30\n\nCUSTOMER\nCUST NO. XCOORD. YCOORD. DEMAND READY TIME DUE DATE SERVICE TIME\n\n" +
		strings.Join(rows, "\n") + "\n"
}

func TestReadSolomonErrors(t *testing.T) {
	const depot = "0 0 0 0 0 100 0"
	for _, tc := range []struct {
		name, text, want string
	}{
		{"empty", "", "the file is empty"},
		{"blank", "\n \r\n", "line 2: the file ends before the instance name"},
		{"no vehicle section", "T1\nCUSTOMER\n", `line 2: got "CUSTOMER", want VEHICLE`},
		{"bad vehicle header", "T1\nVEHICLE\nNUMBER\n", `line 3: got "NUMBER", want the header NUMBER CAPACITY`},
		{"three vehicle values", "T1\nVEHICLE\nNUMBER CAPACITY\n2 30 4\n", "line 4: got 3 values, want 2"},
		{"fractional capacity", "T1\nVEHICLE\nNUMBER CAPACITY\n2 30.5\n", `line 4: CAPACITY "30.5": want a whole number`},
		{"no vehicles", "T1\nVEHICLE\nNUMBER CAPACITY\n0 30\n", "line 4: NUMBER 0: want at least one vehicle"},
		{"no customer section", "T1\nVEHICLE\nNUMBER CAPACITY\n2 30\n", "line 4: the file ends before CUSTOMER"},
		{"no table header", "T1\nVEHICLE\nNUMBER CAPACITY\n2 30\nCUSTOMER\n0 0 0 0 0 1 0\n", `line 6: got "0 0 0 0 0 1 0", want the customer table header`},
		{"no rows", solomonText(), "line 10: the file ends without customer rows"},
		{"short row", solomonText(depot, "1 1 1 1 0 50"), "line 11: got 6 values, want 7"},
		{"misnumbered", solomonText(depot, "2 1 1 1 0 50 10"), "line 11: customer number 2, want 1"},
		{"no depot", solomonText("1 1 1 1 0 50 10"), "line 10: customer number 1, want 0"},
		{"decimal demand", solomonText(depot, "1 1 1 1.5 0 50 10"), `line 11: DEMAND "1.5": want a whole number`},
		{"decimal service", solomonText(depot, "1 1 1 1 0 50 10.0"), `line 11: SERVICE TIME "10.0": want a whole number`},
		{"bad coordinate", solomonText(depot, "1 1.2.3 1 1 0 50 10"), `line 11: XCOORD. "1.2.3": want a decimal number`},
		{"too many decimals", solomonText(depot, "1 1 0.1234567891 1 0 50 10"), `line 11: YCOORD. "0.1234567891": more than 9 decimals`},
		{"huge coordinate", solomonText(depot, "1 99999999999 1 1 0 50 10"), `line 11: XCOORD. "99999999999": out of range`},
		{"due before ready", solomonText(depot, "1 1 1 1 60 50 10"), "line 11: customer 1: DUE DATE 50 before READY TIME 60"},
		{"negative demand", solomonText(depot, "1 1 1 -1 0 50 10"), "line 11: customer 1: negative DEMAND -1"},
		{"empty depot day", solomonText("0 0 0 0 7 7 0"), "line 10: the depot's DUE DATE equals its READY TIME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSolomon(strings.NewReader(tc.text))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !errors.Is(err, ErrSolomonFormat) {
				t.Errorf("error %q does not match ErrSolomonFormat", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Decimal
		ok   bool
	}{
		{"40", Decimal{40, 0}, true},
		{"-6", Decimal{-6, 0}, true},
		{"+6", Decimal{6, 0}, true},
		{"0.3", Decimal{3, 1}, true},
		{"-8.50", Decimal{-850, 2}, true},
		{".5", Decimal{5, 1}, true},
		{"3.0", Decimal{30, 1}, true},
		{"", Decimal{}, false},
		{"-", Decimal{}, false},
		{"3.", Decimal{}, false},
		{"--3", Decimal{}, false},
		{"1e3", Decimal{}, false},
		{"1-2", Decimal{}, false},
		{"0x10", Decimal{}, false},
	} {
		got, err := parseDecimal(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDecimal(%q) = %+v, %v; want %+v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if !tc.ok {
			continue
		}
		if again, err := parseDecimal(got.String()); err != nil || again != got {
			t.Errorf("parseDecimal(%q).String() = %q, which reads back as %+v, %v", tc.in, got.String(), again, err)
		}
		if f, err := strconv.ParseFloat(tc.in, 64); err != nil || got.Float64() != f {
			t.Errorf("parseDecimal(%q).Float64() = %v, want %v", tc.in, got.Float64(), f)
		}
	}
}

func TestArcTenths(t *testing.T) {
	at := func(x, y Decimal) Customer { return Customer{X: x, Y: y} }
	origin := at(Decimal{0, 0}, Decimal{0, 0})
	for _, tc := range []struct {
		name string
		a, b Customer
		want int64
	}{
		{"same place", origin, origin, 0},
		{"3-4-5", origin, at(Decimal{3, 0}, Decimal{-4, 0}), 50},
		{"square root of 2 truncates", origin, at(Decimal{1, 0}, Decimal{1, 0}), 14},
		{"decimals: 0.3, 0.4", origin, at(Decimal{3, 1}, Decimal{4, 1}), 5},
		// √(1.5² + 11.2²) is exactly 11.3, but 10·math.Hypot(1.5, 11.2)
		// is 112.99999999999999: truncating floats would give 112.
		{"exact where floats fall short", origin, at(Decimal{15, 1}, Decimal{112, 1}), 113},
		{"mixed places", at(Decimal{-60, 1}, Decimal{-85, 1}), at(Decimal{0, 0}, Decimal{0, 0}), 104},
		{"large coordinates take the big path", origin, at(Decimal{300_000_000, 0}, Decimal{400_000_000, 0}), 5_000_000_000},
		{"places beyond maxPlaces", origin, at(Decimal{3e12, 12}, Decimal{4e12, 12}), 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := arcTenths(tc.a, tc.b); got != tc.want {
				t.Errorf("arcTenths = %d, want %d", got, tc.want)
			}
			if got := arcTenths(tc.b, tc.a); got != tc.want {
				t.Errorf("reversed: arcTenths = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestIsqrt(t *testing.T) {
	const m = math.MaxUint32
	for _, tc := range []struct{ n, want uint64 }{
		{0, 0}, {1, 1}, {2, 1}, {3, 1}, {4, 2}, {99, 9}, {100, 10},
		{m * m, m}, {m*m - 1, m - 1}, {math.MaxUint64, m},
		{1<<52 + 1, 1 << 26}, {(1<<26 + 1) * (1<<26 + 1), 1<<26 + 1}, {(1<<26+1)*(1<<26+1) - 1, 1 << 26},
	} {
		if got := isqrt(tc.n); got != tc.want {
			t.Errorf("isqrt(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

func TestSolomonProblem(t *testing.T) {
	s := readSolomon(t, "testdata/solomon/tiny.txt")
	p := s.Problem()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	at := func(sec int) time.Time { return time.Date(2026, 1, 1, 0, 0, sec, 0, time.UTC) }
	if len(p.Technicians) != 2 || len(p.WorkOrders) != 6 {
		t.Fatalf("got %d technicians and %d orders, want 2 and 6", len(p.Technicians), len(p.WorkOrders))
	}
	v2 := p.Technicians[1]
	if v2.ID != "v2" || !v2.Shift.Start.Equal(at(0)) || !v2.Shift.End.Equal(at(200)) || v2.Capacity[0] != 30 ||
		v2.Start.String() != "#0" || v2.EndLocation().String() != "#0" {
		t.Errorf("technician v2: %+v", v2)
	}
	w4 := p.WorkOrders[3]
	if w4.ID != "4" || w4.Location.String() != "#4" || w4.Duration != 5 || w4.Demand[0] != 5 || w4.Priority != model.PriorityNormal ||
		len(w4.TimeWindows) != 1 || !w4.TimeWindows[0].Start.Equal(at(80)) || !w4.TimeWindows[0].End.Equal(at(90)) {
		t.Errorf("order 4: %+v", w4)
	}
	if w := p.WorkOrders[4].TimeWindows[0]; !w.Start.Equal(at(10)) || !w.End.Equal(at(10)) {
		t.Errorf("order 5's zero-width window [10, 10] became %v–%v, want the appointment [10 s, 10 s]", w.Start, w.End)
	}
	for _, tc := range []struct {
		i, j int
		want float64
	}{{0, 6, 11.3}, {6, 0, 11.3}, {1, 2, 5}, {4, 0, 10.4}, {3, 3, 0}} {
		if d, m := p.Travel.Durations[tc.i][tc.j], p.Travel.Distances[tc.i][tc.j]; d != tc.want || m != tc.want {
			t.Errorf("arc %d→%d: %v s, %v m; want %v both", tc.i, tc.j, d, m, tc.want)
		}
	}
	if w := p.Policy(); w != (model.Weights{Unassigned: 1e6, Distance: 1000}) {
		t.Errorf("weights %+v, want unassigned 1e6 and distance 1000 only", w)
	}
}

// TestSolomonInstances reads every instance of the benchmark set: each
// converts to a valid problem, and every arc agrees with the float formula
// of solomon_check.py --dimacs (⌊10·hypot + 1e-9⌋), which is exact for
// these integer coordinates.
func TestSolomonInstances(t *testing.T) {
	dir := sharedSolomonDir(t)
	bks, err := ReadBKS(filepath.Join(dir, "bks_distance_only.csv"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) != 56 {
		t.Fatalf("%d instances in %s, want 56", len(files), dir)
	}
	for _, f := range files {
		s := readSolomon(t, f)
		stem := strings.TrimSuffix(filepath.Base(f), ".txt")
		if !strings.EqualFold(s.Name, stem) || len(s.Customers) != 101 {
			t.Errorf("%s: name %q, %d rows", f, s.Name, len(s.Customers))
		}
		if err := s.Problem().Validate(); err != nil {
			t.Errorf("%s: %v", stem, err)
		}
		if b, ok := bks[stem]; !ok || b.Distance <= 0 {
			t.Errorf("%s: no best-known distance", stem)
		}
		xs, ys := make([]float64, len(s.Customers)), make([]float64, len(s.Customers))
		for i, c := range s.Customers {
			xs[i], ys[i] = c.X.Float64(), c.Y.Float64()
		}
		for i := range s.Customers {
			for j := range s.Customers {
				float := int64(math.Floor(10*math.Hypot(xs[i]-xs[j], ys[i]-ys[j]) + 1e-9))
				if got := s.ArcTenths(i, j); got != float {
					t.Fatalf("%s: arc %d→%d: %d tenths, the float formula says %d", stem, i, j, got, float)
				}
			}
		}
	}
}

func TestReadBKS(t *testing.T) {
	const header = "instance,vehicles,distance,source\n"
	for _, tc := range []struct {
		name, text string
		want       map[string]BKS
		err        string
	}{
		{"quoted source and empty vehicles",
			header + "C101,10,827.3,\"DIMACS, truncated\"\nr208,,701.0,x\n",
			map[string]BKS{"c101": {"C101", 10, 827.3, "DIMACS, truncated"}, "r208": {"r208", 0, 701, "x"}}, ""},
		{"columns in another order", "source,distance,instance,vehicles\ns,589.1,c201,3\n",
			map[string]BKS{"c201": {"c201", 3, 589.1, "s"}}, ""},
		{"missing column", "instance,vehicles,distance\nc101,10,827.3\n", nil, `line 1: no "source" column`},
		{"bad distance", header + "c101,10,827.3\nc102,10,abc,s\n", nil, "record on line 2: wrong number of fields"},
		{"non-numeric distance", header + "c101,10,abc,s\n", nil, `line 2: c101: distance "abc": want a positive number`},
		{"bad vehicles", header + "c101,ten,827.3,s\n", nil, `line 2: c101: vehicles "ten"`},
		{"duplicate", header + "c101,10,827.3,s\nC101,10,828,s\n", nil, `line 3: a second row for "C101"`},
		{"unterminated quote", header + "c101,10,827.3,\"s\n", nil, "extraneous or missing \" in quoted-field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readBKS(strings.NewReader(tc.text))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d rows, want %d", len(got), len(tc.want))
			}
			for k, w := range tc.want {
				if got[k] != w {
					t.Errorf("%s: got %+v, want %+v", k, got[k], w)
				}
			}
		})
	}
}

func TestReadBKSFile(t *testing.T) {
	dir := sharedSolomonDir(t)
	bks, err := ReadBKS(filepath.Join(dir, "bks_distance_only.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(bks) != 56 {
		t.Errorf("%d rows, want 56", len(bks))
	}
	if b := bks["c101"]; b.Vehicles != 10 || b.Distance != 827.3 || !strings.HasPrefix(b.Source, "DIMACS convention") {
		t.Errorf("c101: %+v", b)
	}
	if b := bks["c204"]; b.Vehicles != 0 || b.Distance != 588.1 {
		t.Errorf("c204 (no vehicle count given): %+v", b)
	}
	if _, err := ReadBKS(filepath.Join(dir, "missing.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

func TestReadSolomonFileErrors(t *testing.T) {
	_, err := ReadSolomonFile("testdata/day-12x3-seed7.json")
	if want := `scenario: reading Solomon instance testdata/day-12x3-seed7.json: line 2: got "\"technicians\": [", want VEHICLE`; err == nil ||
		!errors.Is(err, ErrSolomonFormat) || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v, want an ErrSolomonFormat starting %q", err, want)
	}
	if _, err := ReadSolomonFile("testdata/solomon/missing.txt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}
