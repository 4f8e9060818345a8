package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/solver"
)

func runCompare(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const synopsis = "dispatchd compare [--policy FILE|default]... [--sweep WEIGHT=V1,V2,...] [--time-limit 10s] [--iterations N] [--seed 1] [--parallel N] [--json] [--html FILE] FILE|-"
	fs := flagSet("compare")
	var policyArgs []string
	fs.Func("policy", "a policy to compare: a JSON file ({\"name\",\"description\",\"weights\":{…}}; the name defaults to the file's) or default; repeat for each", func(s string) error {
		policyArgs = append(policyArgs, s)
		return nil
	})
	var sweep *sweepFlag
	fs.Func("sweep", "vary one weight of the first --policy (or the default policy) over values, e.g. travel_time=0.5,1,2,4,8", func(s string) error {
		if sweep != nil {
			return errors.New("give one sweep")
		}
		sw, err := parseSweep(s)
		if err != nil {
			return err
		}
		sweep = sw
		return nil
	})
	budgetFlag := budgetFlags(fs, "wall-clock budget of each plan (default 10s, or none when --iterations is given)",
		"improvement iterations of each plan; with a seed, the same input gives the same table")
	seed := fs.Uint64("seed", 1, "random seed, the same for every plan")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "plans run at once")
	asJSON := fs.Bool("json", false, "print the comparison as JSON instead of the table")
	htmlPath := fs.String("html", "", "also write the comparison as one self-contained HTML page to `FILE`: a chart per KPI, the sweep, each policy's routes on a map")
	rest, err := parseFlags(fs, synopsis, args, stdout, 1)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("want one problem file, or - for stdin")
	}
	if *parallel < 1 {
		return usagef("invalid value %d for flag -parallel: want 1 or more", *parallel)
	}
	limit, iterations, err := budgetFlag.resolve()
	if err != nil {
		return err
	}
	var policies []model.Policy
	for _, arg := range policyArgs {
		pol, err := readPolicy(arg)
		if err != nil {
			return err
		}
		policies = append(policies, pol)
	}
	var sw *dispatch.Sweep
	if sweep != nil {
		base := model.DefaultPolicy()
		if len(policies) > 0 {
			base = policies[0]
		}
		sw = &dispatch.Sweep{Base: base, Weight: sweep.weight, Values: sweep.values}
	}
	if len(policies)+len(sweepValues(sw)) < 2 {
		return usagef("want two --policy or more, or a --sweep")
	}
	data, err := readInput(rest[0], stdin)
	if err != nil {
		return err
	}
	p, err := readProblem(rest[0], "json", data)
	if err != nil {
		return err
	}
	// The page's file is made before the plans run, so that a path that
	// cannot be written is refused before the work, and nothing is left
	// behind.
	page, err := newPageFile(*htmlPath)
	if err != nil {
		return err
	}
	defer page.discard()
	if p.Weights != nil {
		fmt.Fprintf(stderr, "dispatchd compare: %s names weights of its own; they are not used: each column plans under its policy\n", rest[0])
	}
	opts := dispatch.CompareOptions{TimeLimit: limit, Iterations: iterations, Seed: *seed, Workers: *parallel}
	prog := newCompareProgress(stderr, isTerminal(stderr))
	opts.Observer = prog.observe
	c, err := dispatch.Compare(ctx, p, policies, sw, opts)
	prog.end()
	var ve *model.ValidationError
	switch {
	case errors.As(err, &ve):
		return usagef("%d problem(s): %s", len(ve.Errors), ve.Summary())
	case errors.Is(err, solver.ErrInfeasible):
		return usagef("%s: %v", rest[0], err)
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "dispatchd compare: interrupted; the table shows what the plans had found")
	case err != nil:
		return err
	}
	heading := compareHeading(p, limit, iterations, *seed)
	if err := page.write(c, p, "Policies compared on "+inputName(rest[0]), heading); err != nil {
		return err
	}
	if page != nil {
		fmt.Fprintf(stderr, "dispatchd compare: wrote the report to %s\n", page.path)
	}
	if *asJSON {
		return writeJSON(stdout, c, "comparison")
	}
	return writeTable(stdout, c, heading)
}

func sweepValues(sw *dispatch.Sweep) []float64 {
	if sw == nil {
		return nil
	}
	return sw.Values
}

// sweepFlag is a parsed --sweep.
type sweepFlag struct {
	weight string
	values []float64
}

// parseSweep reads WEIGHT=V1,V2,…; the values themselves are checked
// with the policy (dispatch.Compare).
func parseSweep(s string) (*sweepFlag, error) {
	name, list, ok := strings.Cut(s, "=")
	if !ok || name == "" || list == "" {
		return nil, errors.New("want WEIGHT=V1,V2,… (e.g. travel_time=0.5,1,2,4,8)")
	}
	if _, known := model.DefaultWeights().Weight(name); !known {
		return nil, fmt.Errorf("unknown weight %s: want one of %s", model.Quote(name), strings.Join(model.WeightNames(), ", "))
	}
	sw := &sweepFlag{weight: name}
	for _, v := range strings.Split(list, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%s: %q is not a number", name, v)
		}
		sw.values = append(sw.values, x)
	}
	if len(sw.values) < 2 {
		return nil, fmt.Errorf("%s: want two values or more", name)
	}
	return sw, nil
}

// readPolicy reads a --policy: the built-in default by name, or a policy
// file, named after the file when it names itself nothing. Bad input is a
// usage error naming the file and the field.
func readPolicy(arg string) (model.Policy, error) {
	switch arg {
	case model.DefaultPolicyName:
		return model.DefaultPolicy(), nil
	case "-":
		return model.Policy{}, usagef("a --policy is a file: stdin is the problem's")
	}
	data, err := readInput(arg, nil)
	if err != nil {
		return model.Policy{}, err
	}
	// A reference, so that a file without weights takes the defaults and
	// one that zeroes every weight is refused for it.
	var ref dispatch.PolicyRef
	if err := api.DecodeJSON(data, &ref, model.DefaultLimits()); err != nil {
		var ve *model.ValidationError
		if errors.As(err, &ve) {
			return model.Policy{}, invalidInput(arg, ve)
		}
		return model.Policy{}, usagef("%s: %v", arg, err)
	}
	pol := model.Policy{Name: ref.Name, Description: ref.Description, Weights: model.DefaultWeights(), ScoreScale: ref.ScoreScale}
	if ref.Weights != nil {
		pol.Weights = *ref.Weights
	}
	if pol.Name == "" {
		pol.Name = strings.TrimSuffix(filepath.Base(arg), filepath.Ext(arg))
	}
	var ve *model.ValidationError
	if err := pol.Validate(); errors.As(err, &ve) {
		return model.Policy{}, invalidInput(arg, ve)
	}
	return pol, nil
}

// compareHeading is the line above the table: what was compared, with
// what budget.
func compareHeading(p *model.Problem, limit time.Duration, iterations int, seed uint64) string {
	budget := []string{}
	if iterations > 0 {
		budget = append(budget, fmt.Sprintf("%d iterations", iterations))
	}
	if limit > 0 {
		budget = append(budget, strconv.FormatFloat(limit.Seconds(), 'f', -1, 64)+" s")
	}
	return fmt.Sprintf("%d work orders, %d technicians; each plan: seed %d, %s", len(p.WorkOrders), len(p.Technicians), seed, strings.Join(budget, ", "))
}

// compareProgress tells a person on stderr how the plans go: one status
// line rewritten on a terminal, a line per plan ended elsewhere.
type compareProgress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	ended    map[string]bool
	last     time.Time
	wrote    bool
}

func newCompareProgress(w io.Writer, terminal bool) *compareProgress {
	return &compareProgress{w: w, terminal: terminal, ended: map[string]bool{}}
}

func (cp *compareProgress) observe(p dispatch.CompareProgress) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	for _, pl := range p.Plans {
		if cp.ended[pl.Policy] || (pl.Status != dispatch.CompareDone && pl.Status != dispatch.CompareCancelled && pl.Status != dispatch.CompareFailed) {
			continue
		}
		cp.ended[pl.Policy] = true
		line := fmt.Sprintf("plan %d/%d: %s %s in %.1f s, %d iterations, objective %.1f, %d unassigned",
			len(cp.ended), p.Total, pl.Policy, pl.Status, pl.Elapsed, pl.Iterations, pl.BestObjective, pl.Unassigned)
		if cp.terminal {
			fmt.Fprintf(cp.w, "\r\033[K%s\n", line)
		} else {
			fmt.Fprintln(cp.w, line)
		}
	}
	if !cp.terminal || time.Since(cp.last) < 100*time.Millisecond {
		return
	}
	cp.last = time.Now()
	var parts []string
	for _, pl := range p.Plans {
		if pl.Status == dispatch.CompareRunning {
			parts = append(parts, fmt.Sprintf("%s: %.1fs it %d best %.1f", pl.Policy, pl.Elapsed, pl.Iterations, pl.BestObjective))
		}
	}
	fmt.Fprintf(cp.w, "\r\033[K%d/%d done  %s", p.Done, p.Total, strings.Join(parts, " · "))
	cp.wrote = true
}

// end clears the status line.
func (cp *compareProgress) end() {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.terminal && cp.wrote {
		fmt.Fprint(cp.w, "\r\033[K")
	}
}

// writeTable prints the comparison for a terminal: the KPIs as rows, the
// policies as columns, the best of each row marked *, the sweep's change
// from its first value to its last; then each plan's objective under
// each policy.
func writeTable(w io.Writer, c *dispatch.Comparison, heading string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, heading)
	fmt.Fprintln(bw)
	header := append([]string{"KPI", "unit"}, c.Order...)
	if c.Sweep != nil {
		header = append(header, "Δ "+c.Sweep.Weight)
	}
	rows := [][]string{header}
	for _, row := range c.Table {
		cells := []string{row.Label, row.Unit}
		best := bestOf(row)
		for i, v := range row.Values {
			cell := formatValue(float64(v), row.Unit)
			if best[i] {
				cell += "*"
			}
			cells = append(cells, cell)
		}
		if c.Sweep != nil {
			cells = append(cells, change(c.Sweep, row.Key))
		}
		rows = append(rows, cells)
	}
	writeColumns(bw, rows, true)
	fmt.Fprintln(bw)
	fmt.Fprintln(bw, "* the best of the row. Objective of each plan (rows) priced under each policy (columns); * the plan that policy likes best:")
	fmt.Fprintln(bw)
	matrix := [][]string{append([]string{"plan \\ priced under"}, c.Order...)}
	for i, name := range c.Order {
		cells := []string{name}
		for j := range c.Order {
			cell := formatValue(float64(c.Matrix[i][j]), "units")
			if bestInColumn(c.Matrix, i, j) {
				cell += "*"
			}
			cells = append(cells, cell)
		}
		matrix = append(matrix, cells)
	}
	writeColumns(bw, matrix, false)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing the table: %w", err)
	}
	return nil
}

// bestOf marks the best values of a row that has a better direction,
// when they are not all equal.
func bestOf(row dispatch.KPIRow) []bool {
	marks := make([]bool, len(row.Values))
	if row.Better == "" {
		return marks
	}
	best, differ := math.NaN(), false
	for _, v := range row.Values {
		x := float64(v)
		switch {
		case math.IsNaN(x):
		case math.IsNaN(best):
			best = x
		case x != best:
			differ = true
			if (row.Better == "lower") == (x < best) {
				best = x
			}
		}
	}
	if !differ {
		return marks
	}
	for i, v := range row.Values {
		marks[i] = float64(v) == best
	}
	return marks
}

// bestInColumn reports whether plan i is the cheapest under policy j, when
// the plans do not all cost the same.
func bestInColumn(m [][]dispatch.Number, i, j int) bool {
	x := float64(m[i][j])
	if math.IsNaN(x) {
		return false
	}
	differ := false
	for k := range m {
		y := float64(m[k][j])
		if !math.IsNaN(y) && y < x {
			return false
		}
		differ = differ || !math.IsNaN(y) && y != x
	}
	return differ
}

// change is how a KPI moves over the sweep: its last value against its
// first, in per cent of the first (or by how much, from zero).
func change(sw *dispatch.SweepResult, key string) string {
	for _, row := range sw.Series {
		if row.Key != key || len(row.Values) < 2 {
			continue
		}
		first, last := float64(row.Values[0]), float64(row.Values[len(row.Values)-1])
		switch {
		case math.IsNaN(first) || math.IsNaN(last):
			return "—"
		case first == last:
			return "="
		case first == 0:
			return fmt.Sprintf("%+g", math.Round((last-first)*10)/10)
		}
		return fmt.Sprintf("%+.1f%%", (last-first)/math.Abs(first)*100)
	}
	return ""
}

// formatValue writes a table value in its unit: counts whole, the rest
// to one decimal; a plan never run as a dash.
func formatValue(x float64, unit string) string {
	switch {
	case math.IsNaN(x):
		return "—"
	case unit == "orders" || unit == "technicians" || unit == "iterations":
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// writeColumns prints rows as columns two spaces apart: the first
// left-aligned (and the second, if left), the rest right-aligned.
func writeColumns(w io.Writer, rows [][]string, left bool) {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			pad := strings.Repeat(" ", widths[i]-len([]rune(cell)))
			switch {
			case i == 0:
				b.WriteString(cell + pad)
			case i == 1 && left:
				b.WriteString("  " + cell + pad)
			default:
				b.WriteString("  " + pad + cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
