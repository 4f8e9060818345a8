// Command dispatchd is the field-service scheduling service and its tools,
// one binary with subcommands:
//
//	dispatchd serve [--addr :8080] [--demo]       run the HTTP service
//	dispatchd gen --orders N --technicians N      print a generated day
//	dispatchd solve [--format json|solomon] FILE  plan a problem
//	dispatchd compare --policy A --policy B FILE  policies side by side
//	dispatchd compare --sweep WEIGHT=V1,V2 FILE   how every KPI moves with a weight
//	dispatchd bench --set DIR                     gap to best-known results
//	dispatchd bench suggest                       suggestion latency in process
//	dispatchd bench http --target location|suggest  HTTP throughput and latency
//	dispatchd validate FILE|-                     check a problem document
//	dispatchd keys create|list|revoke             manage API keys
//
// It wires the packages together and is the only place that reads flags,
// the environment and signals. A usage error (an unknown flag, a bad value)
// prints one line on stderr and exits 2; a failure while working exits 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks the command to wind down (serve drains, solve
	// returns its best plan); a second one, if the command is stuck in
	// work that does not watch ctx, takes the default action and ends it.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the HTTP service", runServe},
		{"gen", "print a generated field-service day as problem JSON", runGen},
		{"solve", "plan a problem (JSON or Solomon VRPTW) and print the plan", runSolve},
		{"compare", "plan a problem under each of several policies (or a sweep of one weight) and print the KPIs side by side", runCompare},
		{"bench", "benchmarks: a set against best-known results; bench suggest; bench http (load)", runBench},
		{"validate", "check a problem document and name every bad field", runValidate},
		{"keys", "API keys: create (the token shown once), list, revoke — in the Redis store or through a server", runKeys},
	}
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is bad input on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// errHelp asks for the usage text on stdout and a clean exit.
var errHelp = errors.New("help requested")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "dispatchd: no command given (try dispatchd help)")
		return exitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args[1:], stdin, stdout, stderr)
		var ue *usageError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, errHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "dispatchd %s: %s (see dispatchd %s -h)\n", name, oneLine(ue.msg), name)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "dispatchd %s: %s\n", name, oneLine(err.Error()))
			return exitFailure
		}
	}
	fmt.Fprintf(stderr, "dispatchd: unknown command %q (try dispatchd help)\n", name)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "dispatchd — field-service scheduling optimisation")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: dispatchd COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run dispatchd COMMAND -h for a command's flags.")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// flagSet returns a flag set that reports errors to its caller instead of
// printing usage, so that a bad flag is one line and exit code 2.
func flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("dispatchd "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args; -h prints the command's usage on stdout.
func parseFlags(fs *flag.FlagSet, synopsis string, args []string, stdout io.Writer, positional int) ([]string, error) {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "Usage: %s\n\nFlags:\n", synopsis)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return nil, errHelp
	}
	if err != nil {
		return nil, usagef("%v", err)
	}
	if fs.NArg() > positional {
		return nil, usagef("unexpected argument %q", fs.Arg(positional))
	}
	return fs.Args(), nil
}
