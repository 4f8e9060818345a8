package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dispatchd/dispatchd/api"
	"github.com/dispatchd/dispatchd/model"
)

func runValidate(_ context.Context, args []string, stdin io.Reader, stdout, _ io.Writer) error {
	const synopsis = "dispatchd validate [--all] FILE|-"
	fs := flagSet("validate")
	all := fs.Bool("all", false, "list every problem on stdout, one per line (the error line names the first five)")
	rest, err := parseFlags(fs, synopsis, args, stdout, 1)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("want one problem file, or - for stdin")
	}
	data, err := readInput(rest[0], stdin)
	if err != nil {
		return err
	}
	p, err := api.DecodeProblem(data, model.DefaultLimits())
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		if *all {
			for _, fe := range ve.Errors {
				fmt.Fprintln(stdout, fe.String())
			}
		}
		return invalidInput(rest[0], ve)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid: %d technicians, %d work orders\n", rest[0], len(p.Technicians), len(p.WorkOrders))
	return nil
}

// readInput reads a named file, or stdin for "-". A file that cannot be
// read is bad input: exit code 2.
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, usagef("reading %s: %v", name, errors.Unwrap(err))
	}
	return data, nil
}
