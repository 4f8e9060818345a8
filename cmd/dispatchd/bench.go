package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/dispatchd/dispatchd/bench"
)

func runBench(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "suggest" {
		return runBenchSuggest(ctx, args[1:], stdout)
	}
	const synopsis = "dispatchd bench --set DIR | dispatchd bench suggest ... (see dispatchd bench suggest -h); dispatchd bench --set DIR [--time-limit 10s] [--iterations N] [--seed 1] [--parallel 1] [--only a,b] [--json FILE]"
	fs := flagSet("bench")
	set := fs.String("set", "", "directory of instances (Solomon text format) and their bks_distance_only.csv")
	limit := fs.Duration("time-limit", 0, "budget per instance (default 10s, or none when --iterations is given)")
	iterations := fs.Int("iterations", 0, "improvement iterations per instance")
	seed := fs.Uint64("seed", 1, "random seed")
	parallel := fs.Int("parallel", 1, "instances solved at once, each on one core")
	only := fs.String("only", "", "comma-separated instances to run (default: all in the csv)")
	jsonOut := fs.String("json", "", "also write the report as JSON to this file")
	if _, err := parseFlags(fs, synopsis, args, stdout, 0); err != nil {
		return err
	}
	switch {
	case *set == "":
		return usagef("--set DIR is required")
	case *limit < 0:
		return usagef("invalid value %v for flag -time-limit: want a positive duration", *limit)
	case *iterations < 0:
		return usagef("invalid value %d for flag -iterations: want 0 or more", *iterations)
	case *parallel < 1 || *parallel > runtime.NumCPU():
		return usagef("invalid value %d for flag -parallel: want 1 to %d (the cores here)", *parallel, runtime.NumCPU())
	}
	if st, err := os.Stat(*set); err != nil || !st.IsDir() {
		return usagef("invalid value %q for flag -set: not a directory", *set)
	}
	if *limit == 0 && *iterations == 0 {
		*limit = 10 * time.Second
	}
	// Each instance gets one core, as the published comparisons do: the
	// solver is single-threaded, and the runtime's helpers stay on the
	// cores the run was given.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(*parallel))
	opts := bench.SetOptions{Dir: *set, TimeLimit: *limit, Iterations: *iterations, Seed: *seed, Parallel: *parallel}
	if *only != "" {
		for _, name := range strings.Split(*only, ",") {
			opts.Only = append(opts.Only, strings.ToLower(strings.TrimSpace(name)))
		}
	}
	fmt.Fprintf(stdout, bench.TableHeader)
	opts.Done = func(r bench.Result) { bench.WriteRow(stdout, r) }
	rep, err := bench.RunSet(ctx, opts)
	if err != nil {
		return err
	}
	rep.WriteSummary(stdout)
	if *jsonOut != "" {
		if err := rep.WriteJSON(*jsonOut); err != nil {
			return err
		}
	}
	if rep.Summary.Feasible < rep.Summary.Instances {
		return fmt.Errorf("%d of %d plans are not feasible", rep.Summary.Instances-rep.Summary.Feasible, rep.Summary.Instances)
	}
	return nil
}

func runBenchSuggest(ctx context.Context, args []string, stdout io.Writer) error {
	const synopsis = "dispatchd bench suggest [--technicians 1000] [--stops 8] [--requests 10000] [--seed 1]"
	fs := flagSet("bench suggest")
	opts := bench.SuggestOptions{}
	fs.IntVar(&opts.Technicians, "technicians", 1000, "technicians, each with a full route")
	fs.IntVar(&opts.Stops, "stops", 8, "jobs on each technician's route")
	fs.IntVar(&opts.Requests, "requests", 10000, "suggestions to time, one after the other")
	fs.Uint64Var(&opts.Seed, "seed", 1, "random seed of the day and the orders")
	if _, err := parseFlags(fs, synopsis, args, stdout, 0); err != nil {
		return err
	}
	switch {
	case opts.Technicians < 1 || opts.Technicians > 1_000_000:
		return usagef("invalid value %d for flag -technicians: want 1 to 1000000", opts.Technicians)
	case opts.Stops < 0 || opts.Stops > 50:
		return usagef("invalid value %d for flag -stops: want 0 to 50", opts.Stops)
	case opts.Requests < 1 || opts.Requests > 10_000_000:
		return usagef("invalid value %d for flag -requests: want 1 to 10000000", opts.Requests)
	}
	rep, err := bench.RunSuggest(ctx, opts)
	if err != nil {
		return err
	}
	rep.Write(stdout)
	return nil
}
