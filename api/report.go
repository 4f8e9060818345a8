package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/report"
	"github.com/go-chi/chi/v5"
)

// compareReport serves a compare's report: the page dispatchd compare
// --html writes, for a compare run through the API. The record keeps no
// problem; the comparison's depots and left-out orders place them on the
// maps.
func (s *Server) compareReport(w http.ResponseWriter, r *http.Request) {
	rec, err := s.svc.Comparison(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rec.Comparison == nil {
		writeProblem(w, r, http.StatusConflict, "no comparison yet", fmt.Sprintf("compare %s is %s and has no comparison to show yet", rec.ID, rec.Status))
		return
	}
	c, err := report.FromCompare(rec.Comparison, nil)
	if err != nil {
		s.fail(w, r, fmt.Errorf("api: the report of compare %s: %w", rec.ID, err))
		return
	}
	c.Title = "Policies compared"
	c.Subtitle = compareSubtitle(rec)
	var page bytes.Buffer
	if err := report.Write(&page, c); err != nil {
		s.fail(w, r, fmt.Errorf("api: the report of compare %s: %w", rec.ID, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The page's own policy, also as a header: it runs no script and
	// fetches nothing, whoever opens it.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write(page.Bytes())
}

// compareSubtitle says what a compare compared: its id, its status if not
// done, the day, the seed and the budget of each plan.
func compareSubtitle(rec dispatch.CompareRecord) string {
	parts := []string{"compare " + rec.ID}
	if rec.Status != dispatch.PlanDone {
		parts = append(parts, rec.Status)
	}
	if rec.Basis != nil {
		parts = append(parts, fmt.Sprintf("the stored day %s: %d orders, %d technicians", rec.Basis.Date, len(rec.Basis.Orders), len(rec.Basis.Technicians)))
	}
	budget := []string{"seed " + strconv.FormatUint(rec.Seed, 10)}
	if rec.Iterations > 0 {
		budget = append(budget, strconv.Itoa(rec.Iterations)+" iterations")
	}
	if rec.TimeLimit > 0 {
		budget = append(budget, strconv.FormatFloat(rec.TimeLimit, 'f', -1, 64)+" s")
	}
	parts = append(parts, "each plan: "+strings.Join(budget, ", "))
	if !rec.Created.IsZero() {
		parts = append(parts, "started "+rec.Created.Format("2006-01-02 15:04 MST"))
	}
	return strings.Join(parts, " · ")
}
