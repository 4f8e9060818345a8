package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// budget is the search budget of solve and bench: a wall-clock limit, an
// iteration cap, or both.
type budget struct {
	limit      *time.Duration
	iterations *int
}

// budgetFlags adds --time-limit and --iterations to fs with the given
// help texts.
func budgetFlags(fs *flag.FlagSet, limitHelp, iterationsHelp string) budget {
	return budget{limit: fs.Duration("time-limit", 0, limitHelp), iterations: fs.Int("iterations", 0, iterationsHelp)}
}

// resolve checks the flags and returns the budget: 10 s when neither flag
// is given, so that a run always ends, and no time limit when only
// --iterations is, so that the same seed gives the same plan.
func (b budget) resolve() (time.Duration, int, error) {
	switch {
	case *b.limit < 0:
		return 0, 0, usagef("invalid value %v for flag -time-limit: want a positive duration", *b.limit)
	case *b.iterations < 0:
		return 0, 0, usagef("invalid value %d for flag -iterations: want 0 or more", *b.iterations)
	case *b.limit == 0 && *b.iterations == 0:
		return 10 * time.Second, 0, nil
	}
	return *b.limit, *b.iterations, nil
}

// invalidInput is the usage error of an input file that fails validation:
// how many problems, and the first of them by field.
func invalidInput(name string, ve *model.ValidationError) error {
	return usagef("%s: %d problem(s): %s", name, len(ve.Errors), ve.Summary())
}

// writeJSON writes v to w as indented JSON; what names it in an error.
func writeJSON(w io.Writer, v any, what string) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing the %s: %w", what, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing the %s: %w", what, err)
	}
	return nil
}
