// Package report renders a comparison of scheduling policies as one
// self-contained HTML page for the people who choose between them: the
// headline figures as a table and a bar chart each, the objective of
// every plan under every policy, sensitivity sweeps as line charts, each
// policy's routes on a map of the area, and the orders left out with
// their reasons.
//
// The page is written with html/template, its charts and maps as inline
// SVG laid out in Go, its style inline. It has no script and fetches
// nothing (its Content-Security-Policy forbids it), so that it can be
// mailed, archived or opened offline and look the same. Maps use a Web
// Mercator projection fitted to the area of all the plans, so that the
// policies' maps share one scale, and give every technician one colour on
// every map.
//
// Its input is its own view, Comparison, so that the page does not depend
// on how the plans were run: FromCompare builds one from a compare
// (dispatch.Comparison, for dispatchd compare --html and the API's
// report), and FromPlans, KPIsOf, SweepOf, MapOf and UnassignedOf from
// plans.
package report
