package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
	"github.com/dispatchd/dispatchd/solver"
)

func runSolve(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const synopsis = "dispatchd solve [--format json|solomon] [--time-limit 10s] [--iterations N] [--seed 1] [--threads N] FILE|-"
	fs := flagSet("solve")
	format := fs.String("format", "json", "input format: json (a problem as in API.md) or solomon (VRPTW text)")
	budgetFlag := budgetFlags(fs, "wall-clock budget (default 10s, or none when --iterations is given)",
		"improvement iterations; with a seed, the same input gives the same plan")
	seed := fs.Uint64("seed", 1, "random seed")
	threads := fs.Int("threads", 0, "threads to search on; with a seed and --iterations, the same thread count gives the same plan (default: every core)")
	rest, err := parseFlags(fs, synopsis, args, stdout, 1)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("want one problem file, or - for stdin")
	}
	if *format != "json" && *format != "solomon" {
		return usagef("invalid value %q for flag -format: want json or solomon", *format)
	}
	limit, iterations, err := budgetFlag.resolve()
	if err != nil {
		return err
	}
	if *threads < 0 {
		return usagef("invalid value %d for flag -threads: want 0 (every core) or more", *threads)
	}
	data, err := readInput(rest[0], stdin)
	if err != nil {
		return err
	}
	p, err := readProblem(rest[0], *format, data)
	if err != nil {
		return err
	}
	opts := solver.Options{TimeLimit: limit, Iterations: iterations, Seed: *seed, Threads: *threads}
	if isTerminal(stderr) {
		opts.Observer = progressPrinter(stderr)
	}
	plan, err := solver.Plan(ctx, p, opts)
	if opts.Observer != nil {
		fmt.Fprintln(stderr)
	}
	var ve *model.ValidationError
	switch {
	case errors.As(err, &ve):
		return invalidInput(rest[0], ve)
	case errors.Is(err, solver.ErrInfeasible):
		return usagef("%s: %v", rest[0], err)
	case err != nil && !errors.Is(err, context.Canceled):
		return err
	}
	return writeJSON(stdout, plan, "plan")
}

// readProblem decodes a problem in the given format. Bad input is a usage
// error: exit code 2, one line naming the field.
func readProblem(name, format string, data []byte) (*model.Problem, error) {
	if format == "solomon" {
		s, err := scenario.ReadSolomon(bytes.NewReader(data))
		if err != nil {
			return nil, usagef("%s: %v", name, err)
		}
		return s.Problem(), nil
	}
	p, err := api.DecodeProblem(data, model.DefaultLimits())
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return nil, invalidInput(name, ve)
	}
	return p, err
}

// isTerminal reports whether w is a character device, where progress
// lines help a person instead of cluttering a log.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressPrinter rewrites one status line as the search improves.
func progressPrinter(w io.Writer) solver.Observer {
	return solver.ObserverFunc(func(p solver.Progress) {
		fmt.Fprintf(w, "\r%6.1fs  iteration %-9d best %-14.1f assigned %d, unassigned %d  ",
			p.Elapsed.Seconds(), p.Iteration, p.BestObjective, p.Assigned, p.Unassigned)
	})
}
