package solver

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// TestProfilesAgreeWithQualify checks the compiled qualification against
// Qualify on random technicians and orders.
func TestProfilesAgreeWithQualifyAndSurplus(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	skills := []string{"hvac", "plumbing", "electrical", "refrigeration"}
	certs := []string{"EPA-608", "NFPA-25", "OSHA-10"}
	tools := []string{"lift", "ladder-24ft", "megger"}
	zone := time.FixedZone("", -7*3600)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, zone)
	// Levels past an int8 and an int32 too: the profiles must not clamp.
	level := func() int { return []int{1, 2, 3, 4, 5, 127, 128, 300, 1 << 40}[r.IntN(9)] }
	var techs []model.Technician
	for i := range 60 {
		tech := model.Technician{ID: fmt.Sprintf("T%d", i), Skills: model.Skills{}, Active: ptr(r.IntN(10) > 0),
			Shift: model.Shift{Start: day.Add(8 * time.Hour), End: day.Add(time.Duration(16+r.IntN(10)) * time.Hour)}, Overtime: model.Seconds(3600 * r.IntN(3))}
		for _, s := range skills {
			if r.IntN(2) == 0 {
				tech.Skills[s] = level()
			}
		}
		for _, c := range certs {
			if r.IntN(2) == 0 {
				exp := model.DateOf(day.AddDate(0, 0, r.IntN(5)-2))
				tech.Certifications = append(tech.Certifications, model.Certification{Name: c, Expires: exp})
			}
		}
		for _, tool := range tools {
			if r.IntN(2) == 0 {
				tech.Tools = append(tech.Tools, tool)
			}
		}
		techs = append(techs, tech)
	}
	p := newProfiles(techs)
	index := func(id string) (int32, bool) {
		for v := range techs {
			if techs[v].ID == id {
				return int32(v), true
			}
		}
		return 0, false
	}
	agree := 0
	for range 500 {
		w := model.WorkOrder{RequiredSkills: model.Skills{}}
		for _, s := range append(skills, "welding") {
			if r.IntN(4) == 0 {
				w.RequiredSkills[s] = level()
			}
		}
		for _, c := range append(certs, "NICET-II") {
			if r.IntN(5) == 0 {
				w.RequiredCertifications = append(w.RequiredCertifications, c)
			}
		}
		for _, tool := range append(tools, "crane") {
			if r.IntN(5) == 0 {
				w.RequiredTools = append(w.RequiredTools, tool)
			}
		}
		if r.IntN(4) == 0 {
			w.ExcludedTechnicians = []string{techs[r.IntN(len(techs))].ID}
		}
		n := p.need(&w, index)
		for v := range techs {
			want := len(Qualify(&techs[v], &w)) == 0
			if got := p.qualifies(int32(v), &n); got != want {
				t.Fatalf("%s for %+v: profiles say %v, Qualify %v (%v)", techs[v].ID, w, got, want, Qualify(&techs[v], &w))
			}
			if want {
				agree++
				if got, want := p.surplus(int32(v), &n), SkillSurplus(&techs[v], &w); got != want {
					t.Fatalf("%s: profile surplus %d, SkillSurplus %d", techs[v].ID, got, want)
				}
			}
		}
	}
	if agree == 0 {
		t.Fatal("no technician ever qualified: the test checks nothing")
	}
}

func ptr[T any](v T) *T { return &v }
