package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/report"
)

// pageFile is the HTML report of dispatchd compare --html, written to a
// temporary file beside its path and renamed into place once whole, so
// that a failed or interrupted run leaves no half page.
type pageFile struct {
	path string
	f    *os.File
}

// newPageFile makes the temporary file of a report to path, or returns
// nil when there is no path.
func newPageFile(path string) (*pageFile, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, usagef("--html %s: %v", path, err)
	}
	return &pageFile{path: path, f: f}, nil
}

// write renders the comparison into the page and puts it in place.
func (pf *pageFile) write(c *dispatch.Comparison, p *model.Problem, title, subtitle string) error {
	if pf == nil {
		return nil
	}
	r, err := report.FromCompare(c, p)
	if err != nil {
		return fmt.Errorf("the report of the compare: %w", err)
	}
	r.Title, r.Subtitle = title, subtitle
	if err := report.Write(pf.f, r); err != nil {
		return fmt.Errorf("writing %s: %w", pf.path, err)
	}
	if err := pf.f.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", pf.path, err)
	}
	if err := pf.f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", pf.path, err)
	}
	if err := os.Rename(pf.f.Name(), pf.path); err != nil {
		return fmt.Errorf("writing %s: %w", pf.path, err)
	}
	pf.f = nil
	return nil
}

// discard removes the temporary file of a page that was not written.
func (pf *pageFile) discard() {
	if pf == nil || pf.f == nil {
		return
	}
	pf.f.Close()
	os.Remove(pf.f.Name())
}

// inputName names the problem's input for a page's title.
func inputName(arg string) string {
	if arg == "-" {
		return "stdin"
	}
	return filepath.Base(arg)
}
