// Package model is the language of field-service dispatch: technicians, work
// orders, time windows, shifts and breaks, certifications, skills, weights,
// problems and plans, and the work-order lifecycle.
//
// It imports the standard library only and does no I/O, so every other
// package can share these types. JSON field names are those of the HTTP
// contract (the OpenAPI document the service serves). Validate methods report every problem at once,
// each naming its field path, for example
// "work_orders[3].time_windows[0].end: before start".
package model
