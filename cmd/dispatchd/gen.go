package main

import (
	"context"
	"fmt"
	"io"

	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/scenario"
)

func runGen(_ context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	const synopsis = "dispatchd gen [--orders 200] [--technicians 20] [--seed 1] [--date YYYY-MM-DD]"
	fs := flagSet("gen")
	orders := fs.Int("orders", 200, "number of work orders")
	techs := fs.Int("technicians", 20, "number of technicians")
	seed := fs.Uint64("seed", 1, "random seed: the same seed and flags print the same bytes")
	date := scenario.DefaultDate
	fs.Func("date", "the day of the shifts, YYYY-MM-DD (default "+scenario.DefaultDate.String()+")", func(s string) error {
		d, err := model.ParseDate(s)
		if err != nil {
			return fmt.Errorf("want YYYY-MM-DD")
		}
		date = d
		return nil
	})
	if _, err := parseFlags(fs, synopsis, args, stdout, 0); err != nil {
		return err
	}
	if *orders < 0 || *orders > scenario.MaxGenerated {
		return usagef("invalid value %d for flag -orders: want 0 to %d", *orders, scenario.MaxGenerated)
	}
	if *techs < 1 || *techs > scenario.MaxGenerated {
		return usagef("invalid value %d for flag -technicians: want 1 to %d", *techs, scenario.MaxGenerated)
	}
	p, err := scenario.GenerateDay(scenario.DayOptions{Orders: *orders, Technicians: *techs, Seed: *seed, Date: date})
	if err != nil {
		return err
	}
	return writeJSON(stdout, p, "problem")
}
