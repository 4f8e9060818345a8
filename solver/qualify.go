package solver

import (
	"fmt"
	"time"

	"github.com/dispatchd/dispatchd/model"
)

// ReasonKind names the hard constraint behind a Reason.
type ReasonKind string

// The static constraints between a technician and a work order.
const (
	ReasonInactive      ReasonKind = "inactive"
	ReasonSkill         ReasonKind = "skill"
	ReasonCertification ReasonKind = "certification"
	ReasonTool          ReasonKind = "tool"
	ReasonExcluded      ReasonKind = "excluded"
)

// Reason is one hard constraint that rules a technician out for a work
// order, in words a dispatcher understands, with the facts behind them so
// that reasons can be summarised across technicians.
type Reason struct {
	Kind ReasonKind
	Text string
	// Skill, Have and Need describe a skill below the required level
	// (Have is 0 when the technician lacks the skill).
	Skill      string
	Have, Need int
	// Certification is missing, or expired on Expired.
	Certification string
	Expired       model.Date
	// Tool is missing.
	Tool string
}

// Qualify returns every static reason why the technician may not do the
// work order: inactive, skills below the required level, certifications
// missing or not valid on every day the shift touches, missing tools, or
// excluded by the order. It returns nil if the technician qualifies.
//
// A certification must be valid on each day from shift start to shift end
// plus overtime: a night shift that runs past the expiry must not rely on
// finishing the job before midnight.
func Qualify(t *model.Technician, w *model.WorkOrder) []Reason {
	var out []Reason
	if !t.IsActive() {
		out = append(out, Reason{Kind: ReasonInactive, Text: "inactive"})
	}
	for _, skill := range w.RequiredSkills.Names() {
		need, have := w.RequiredSkills[skill], t.Skills[skill]
		if have >= need {
			continue
		}
		text := fmt.Sprintf("skill %s level %d, needs %d", skill, have, need)
		if have == 0 {
			text = fmt.Sprintf("no %s skill (needs level %d)", skill, need)
		}
		out = append(out, Reason{Kind: ReasonSkill, Text: text, Skill: skill, Have: have, Need: need})
	}
	lastDay := model.DateOf(t.Shift.End.Add(t.Overtime.Duration()).In(t.Shift.Start.Location()))
	for _, name := range w.RequiredCertifications {
		c, ok := t.Certification(name)
		switch {
		case !ok:
			out = append(out, Reason{Kind: ReasonCertification, Text: "no " + name + " certification", Certification: name})
		case !c.ValidOn(lastDay):
			text := fmt.Sprintf("%s certification expired %s", name, c.Expires)
			if c.ValidOn(model.DateOf(t.Shift.Start)) {
				text = fmt.Sprintf("%s certification expires %s, during the shift", name, c.Expires)
			}
			out = append(out, Reason{Kind: ReasonCertification, Text: text, Certification: name, Expired: c.Expires})
		}
	}
	for _, tool := range w.RequiredTools {
		if !t.HasTool(tool) {
			out = append(out, Reason{Kind: ReasonTool, Text: "missing tool " + tool, Tool: tool})
		}
	}
	if w.Excludes(t.ID) {
		out = append(out, Reason{Kind: ReasonExcluded, Text: "excluded by the work order"})
	}
	return out
}

// SkillSurplus returns by how many levels, summed over the order's required
// skills, the technician exceeds what the order needs.
func SkillSurplus(t *model.Technician, w *model.WorkOrder) int {
	surplus := 0
	for skill, need := range w.RequiredSkills {
		surplus += max(0, t.Skills[skill]-need)
	}
	return surplus
}

// clock formats an instant as a dispatcher reads it: 15:04 in the zone it
// carries.
func clock(t time.Time) string { return t.Format("15:04") }
