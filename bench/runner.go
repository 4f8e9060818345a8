package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dispatchd/dispatchd/check"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
)

// SetOptions configure a run over a benchmark set.
type SetOptions struct {
	// Dir holds instances in Solomon text format (NAME.txt) and a
	// bks_distance_only.csv; every instance with a row in the csv is run.
	Dir string
	// TimeLimit, Iterations and Seed are passed to solver.Plan for each
	// instance.
	TimeLimit  time.Duration
	Iterations int
	Seed       uint64
	// Parallel is how many instances run at once (zero means one).
	Parallel int
	// Threads is solver.Options.Threads for each instance; zero means one,
	// as the published comparisons run.
	Threads int
	// Only, if not empty, limits the run to these instances (lower case).
	Only []string
	// Done, if set, is called as each instance finishes, in finishing order.
	Done func(Result)
}

// Result is one instance's outcome, judged by check.Solomon.
type Result struct {
	Instance    string   `json:"instance"`
	Class       string   `json:"class"`
	Customers   int      `json:"customers"`
	Vehicles    int      `json:"vehicles"`
	Distance    float64  `json:"distance"`
	BestKnown   float64  `json:"best_known"`
	BKSVehicles int      `json:"best_known_vehicles,omitempty"`
	GapPct      float64  `json:"gap_pct"`
	Seconds     float64  `json:"seconds"`
	Feasible    bool     `json:"feasible"`
	Unserved    int      `json:"unserved"`
	Violations  []string `json:"violations,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// Summary aggregates results.
type Summary struct {
	Instances   int     `json:"instances"`
	Feasible    int     `json:"feasible"`
	MeanGap     float64 `json:"mean_gap_pct"`
	MedianGap   float64 `json:"median_gap_pct"`
	MaxGap      float64 `json:"max_gap_pct"`
	MaxGapAt    string  `json:"max_gap_instance"`
	Matched     int     `json:"best_known_matched"`
	MeanSeconds float64 `json:"mean_seconds"`
}

// Report is the outcome of a run over a set.
type Report struct {
	Set       string             `json:"set"`
	TimeLimit float64            `json:"time_limit_s,omitempty"`
	Seed      uint64             `json:"seed"`
	Results   []Result           `json:"results"`
	Summary   Summary            `json:"summary"`
	ByClass   map[string]Summary `json:"by_class"`
}

// RunSet solves every instance of a benchmark set with solver.Plan and
// judges each plan with check.Solomon, the independent checker, never with
// the solver's own figures. Results come back sorted by instance.
func RunSet(ctx context.Context, opts SetOptions) (Report, error) {
	bks, err := scenario.ReadBKS(filepath.Join(opts.Dir, "bks_distance_only.csv"))
	if err != nil {
		return Report{}, err
	}
	var names []string
	for name := range bks {
		if len(opts.Only) == 0 || slices.Contains(opts.Only, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return Report{}, fmt.Errorf("bench: no instances to run in %s", opts.Dir)
	}
	slices.SortFunc(names, compareInstances)
	par := max(opts.Parallel, 1)
	results := make([]Result, len(names))
	work := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range par {
		wg.Go(func() {
			for i := range work {
				r := runInstance(ctx, opts, names[i], bks[names[i]])
				results[i] = r
				if opts.Done != nil {
					mu.Lock()
					opts.Done(r)
					mu.Unlock()
				}
			}
		})
	}
	for i := range names {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("bench: running %s: %w", opts.Dir, err)
	}
	rep := Report{Set: opts.Dir, TimeLimit: opts.TimeLimit.Seconds(), Seed: opts.Seed, Results: results, ByClass: map[string]Summary{}}
	rep.Summary = summarise(results)
	classes := map[string][]Result{}
	for _, r := range results {
		classes[r.Class] = append(classes[r.Class], r)
	}
	for c, rs := range classes {
		rep.ByClass[c] = summarise(rs)
	}
	return rep, nil
}

func runInstance(ctx context.Context, opts SetOptions, name string, b scenario.BKS) Result {
	res := Result{Instance: name, Class: classOf(name), BestKnown: b.Distance, BKSVehicles: b.Vehicles}
	s, err := scenario.ReadSolomonFile(filepath.Join(opts.Dir, name+".txt"))
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Customers = len(s.Customers) - 1
	start := time.Now()
	plan, err := solver.Plan(ctx, s.Problem(), solver.Options{TimeLimit: opts.TimeLimit, Iterations: opts.Iterations, Seed: opts.Seed, Threads: max(opts.Threads, 1)})
	res.Seconds = time.Since(start).Seconds()
	if err != nil && !errors.Is(err, context.Canceled) {
		res.Error = err.Error()
		return res
	}
	rep := check.Solomon(s, plan)
	res.Feasible, res.Violations, res.Unserved = rep.Feasible, rep.Violations, rep.Unserved
	res.Vehicles, res.Distance = rep.Routes, rep.Distance
	if b.Distance > 0 {
		res.GapPct = (rep.Distance - b.Distance) / b.Distance * 100
	}
	return res
}

// classOf names an instance's class: its letters and first digit, so that
// r101 and R1_10_1 are both r1, rc205 and RC2_8_6 both rc2.
func classOf(name string) string {
	name = strings.ToLower(name)
	for i, c := range name {
		if c >= '0' && c <= '9' {
			return name[:i+1]
		}
	}
	return name
}

// compareInstances orders instances by class, then size, then number.
func compareInstances(a, b string) int {
	if c := cmp.Compare(classOf(a), classOf(b)); c != 0 {
		return c
	}
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

func summarise(rs []Result) Summary {
	s := Summary{Instances: len(rs)}
	var gaps []float64
	for _, r := range rs {
		if r.Feasible && r.Error == "" {
			s.Feasible++
		}
		if r.Error != "" {
			continue
		}
		gaps = append(gaps, r.GapPct)
		s.MeanSeconds += r.Seconds
		if r.GapPct <= 1e-9 {
			s.Matched++
		}
		if len(gaps) == 1 || r.GapPct > s.MaxGap {
			s.MaxGap, s.MaxGapAt = r.GapPct, r.Instance
		}
	}
	if len(gaps) == 0 {
		return s
	}
	for _, g := range gaps {
		s.MeanGap += g
	}
	s.MeanGap /= float64(len(gaps))
	s.MeanSeconds /= float64(len(gaps))
	slices.Sort(gaps)
	if n := len(gaps); n%2 == 1 {
		s.MedianGap = gaps[n/2]
	} else {
		s.MedianGap = (gaps[n/2-1] + gaps[n/2]) / 2
	}
	return s
}

// WriteRow writes one result as a row of the table WriteTable prints.
func WriteRow(w io.Writer, r Result) {
	if r.Error != "" {
		fmt.Fprintf(w, "%-10s  error: %s\n", r.Instance, r.Error)
		return
	}
	feasible := "yes"
	if !r.Feasible {
		feasible = fmt.Sprintf("NO (%d violations, %d unserved)", len(r.Violations), r.Unserved)
	}
	fmt.Fprintf(w, "%-10s %5d %9.1f %10.1f %7.2f %7.1f  %s\n", r.Instance, r.Vehicles, r.Distance, r.BestKnown, r.GapPct, r.Seconds, feasible)
}

// TableHeader is the header of the table of results.
const TableHeader = "instance   vehic  distance  best known  gap %  seconds  feasible\n"

// WriteTable prints the results, the summary and the summary per class.
func (rep Report) WriteTable(w io.Writer) {
	io.WriteString(w, TableHeader)
	for _, r := range rep.Results {
		WriteRow(w, r)
	}
	rep.WriteSummary(w)
}

// WriteSummary prints the summary and the summary per class.
func (rep Report) WriteSummary(w io.Writer) {
	line := func(name string, s Summary) {
		fmt.Fprintf(w, "%-8s %3d instances, %3d feasible  gap %% mean %.3f median %.3f max %.3f (%s)  best known matched %d  mean %.1f s\n",
			name, s.Instances, s.Feasible, s.MeanGap, s.MedianGap, s.MaxGap, s.MaxGapAt, s.Matched, s.MeanSeconds)
	}
	fmt.Fprintln(w)
	line("all", rep.Summary)
	classes := make([]string, 0, len(rep.ByClass))
	for c := range rep.ByClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	for _, c := range classes {
		line(c, rep.ByClass[c])
	}
}

// WriteJSON writes the report as JSON to a file.
func (rep Report) WriteJSON(path string) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encoding the report: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: writing the report: %w", err)
	}
	return nil
}
