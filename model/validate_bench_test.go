package model

import (
	"strconv"
	"testing"
)

// BenchmarkProblemValidate validates a valid day of 200 technicians and
// 1,600 orders, the size of a busy suggestion request: every request to
// the service pays for it once.
func BenchmarkProblemValidate(b *testing.B) {
	base := validProblem()
	p := &Problem{}
	for i := range 200 {
		t := base.Technicians[0]
		t.ID = "T" + strconv.Itoa(i)
		p.Technicians = append(p.Technicians, t)
	}
	for i := range 1600 {
		w := base.WorkOrders[0]
		w.ID = "WO-" + strconv.Itoa(i)
		w.PreferredTechnicians = []string{"T" + strconv.Itoa(i%200)}
		p.WorkOrders = append(p.WorkOrders, w)
	}
	if err := p.Validate(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
