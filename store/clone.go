package store

import (
	"maps"
	"slices"

	"github.com/dispatchd/dispatchd/model"
)

// cloneTechnician returns a deep copy: no slice, map or pointer is shared.
func cloneTechnician(t model.Technician) model.Technician {
	t.Active = clonePtr(t.Active)
	t.Skills = maps.Clone(t.Skills)
	t.Certifications = slices.Clone(t.Certifications)
	t.Tools = slices.Clone(t.Tools)
	t.Start = cloneLocation(t.Start)
	if t.End != nil {
		end := cloneLocation(*t.End)
		t.End = &end
	}
	t.Breaks = slices.Clone(t.Breaks)
	t.Capacity = slices.Clone(t.Capacity)
	return t
}

// cloneWorkOrder returns a deep copy: no slice, map or pointer is shared.
func cloneWorkOrder(w model.WorkOrder) model.WorkOrder {
	w.Location = cloneLocation(w.Location)
	w.RequiredSkills = maps.Clone(w.RequiredSkills)
	w.RequiredCertifications = slices.Clone(w.RequiredCertifications)
	w.RequiredTools = slices.Clone(w.RequiredTools)
	w.TimeWindows = slices.Clone(w.TimeWindows)
	w.SLADeadline = clonePtr(w.SLADeadline)
	w.PreferredTechnicians = slices.Clone(w.PreferredTechnicians)
	w.ExcludedTechnicians = slices.Clone(w.ExcludedTechnicians)
	w.Demand = slices.Clone(w.Demand)
	w.TechnicianIDs = slices.Clone(w.TechnicianIDs)
	w.ScheduledStart = clonePtr(w.ScheduledStart)
	w.ArrivalWindow = clonePtr(w.ArrivalWindow)
	w.EnRouteAt = clonePtr(w.EnRouteAt)
	w.OnSiteAt = clonePtr(w.OnSiteAt)
	w.CompletedAt = clonePtr(w.CompletedAt)
	if w.Outcome != nil {
		o := *w.Outcome
		o.Parts = slices.Clone(o.Parts)
		w.Outcome = &o
	}
	w.CreatedAt = clonePtr(w.CreatedAt)
	w.UpdatedAt = clonePtr(w.UpdatedAt)
	return w
}

func cloneLocation(l model.Location) model.Location {
	l.Index = clonePtr(l.Index)
	return l
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// cloneHistory returns a deep copy of a history entry.
func cloneHistory(h model.HistoryEntry) model.HistoryEntry {
	h.FromTechnicians = slices.Clone(h.FromTechnicians)
	h.ToTechnicians = slices.Clone(h.ToTechnicians)
	h.FromStart = clonePtr(h.FromStart)
	h.ToStart = clonePtr(h.ToStart)
	h.Overridden = slices.Clone(h.Overridden)
	h.Conflicts = slices.Clone(h.Conflicts)
	h.DuplicateOf = slices.Clone(h.DuplicateOf)
	if src := h.Changes; src != nil {
		h.Changes = make([]model.FieldChange, len(src))
		for i, c := range src {
			h.Changes[i] = model.FieldChange{Field: c.Field, From: slices.Clone(c.From), To: slices.Clone(c.To)}
		}
	}
	if h.Outcome != nil {
		o := *h.Outcome
		o.Parts = slices.Clone(o.Parts)
		h.Outcome = &o
	}
	return h
}
