package solver

import "github.com/dispatchd/dispatchd/model"

// profiles holds every technician's qualifications as small integers —
// skill levels by skill number, certifications valid through the last day
// of the shift and tools as bit sets — so that checking thousands of
// technicians against an order hashes no strings.
type profiles struct {
	skills map[string]int
	certs  map[string]int
	tools  map[string]int
	levels []int // [v*len(skills)+skill]
	valid  []uint64
	carry  []uint64
	words  int // uint64s per technician in valid and carry
	active []bool
}

func newProfiles(techs []model.Technician) *profiles {
	p := &profiles{skills: map[string]int{}, certs: map[string]int{}, tools: map[string]int{}}
	for i := range techs {
		for _, name := range techs[i].Skills.Names() {
			if _, ok := p.skills[name]; !ok {
				p.skills[name] = len(p.skills)
			}
		}
		for _, c := range techs[i].Certifications {
			if _, ok := p.certs[c.Name]; !ok {
				p.certs[c.Name] = len(p.certs)
			}
		}
		for _, tool := range techs[i].Tools {
			if _, ok := p.tools[tool]; !ok {
				p.tools[tool] = len(p.tools)
			}
		}
	}
	p.words = (max(len(p.certs), len(p.tools)) + 63) / 64
	p.levels = make([]int, len(techs)*len(p.skills))
	p.valid = make([]uint64, len(techs)*p.words)
	p.carry = make([]uint64, len(techs)*p.words)
	p.active = make([]bool, len(techs))
	for v := range techs {
		t := &techs[v]
		p.active[v] = t.IsActive()
		for name, lvl := range t.Skills {
			p.levels[v*len(p.skills)+p.skills[name]] = lvl
		}
		lastDay := model.DateOf(t.Shift.End.Add(t.Overtime.Duration()).In(t.Shift.Start.Location()))
		for _, c := range t.Certifications {
			if c.ValidOn(lastDay) {
				setBit(p.valid[v*p.words:], p.certs[c.Name])
			}
		}
		for _, tool := range t.Tools {
			setBit(p.carry[v*p.words:], p.tools[tool])
		}
	}
	return p
}

func setBit(words []uint64, i int) { words[i/64] |= 1 << (i % 64) }

// need is an order's requirements in the profiles' numbers.
type need struct {
	impossible bool // names a skill, certification or tool nobody has
	skills     []skillLevel
	certs      []uint64
	tools      []uint64
	excluded   []int32
}

type skillLevel struct {
	skill int
	level int
}

func (p *profiles) need(w *model.WorkOrder, techIndex func(string) (int32, bool)) need {
	n := need{certs: make([]uint64, p.words), tools: make([]uint64, p.words)}
	for name, lvl := range w.RequiredSkills {
		id, ok := p.skills[name]
		if !ok {
			n.impossible = true
			continue
		}
		n.skills = append(n.skills, skillLevel{id, lvl})
	}
	for _, c := range w.RequiredCertifications {
		if id, ok := p.certs[c]; ok {
			setBit(n.certs, id)
		} else {
			n.impossible = true
		}
	}
	for _, tool := range w.RequiredTools {
		if id, ok := p.tools[tool]; ok {
			setBit(n.tools, id)
		} else {
			n.impossible = true
		}
	}
	for _, id := range w.ExcludedTechnicians {
		if v, ok := techIndex(id); ok {
			n.excluded = append(n.excluded, v)
		}
	}
	return n
}

// qualifies reports whether technician v meets the need; it agrees with
// Qualify.
func (p *profiles) qualifies(v int32, n *need) bool {
	if n.impossible || !p.active[v] {
		return false
	}
	lv := p.levels[int(v)*len(p.skills):]
	for _, s := range n.skills {
		if lv[s.skill] < s.level {
			return false
		}
	}
	valid, carry := p.valid[int(v)*p.words:], p.carry[int(v)*p.words:]
	for k := range p.words {
		if n.certs[k]&^valid[k] != 0 || n.tools[k]&^carry[k] != 0 {
			return false
		}
	}
	for _, x := range n.excluded {
		if x == v {
			return false
		}
	}
	return true
}

// surplus is by how many levels, over the order's required skills,
// technician v exceeds what the need asks; it agrees with SkillSurplus.
func (p *profiles) surplus(v int32, n *need) int {
	lv := p.levels[int(v)*len(p.skills):]
	sum := 0
	for _, s := range n.skills {
		sum += max(0, lv[s.skill]-s.level)
	}
	return sum
}
