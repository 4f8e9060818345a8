// Package dispatch is dispatchd's application: what a dispatcher, a
// technician and an operator can do, independent of HTTP. It owns work
// orders from intake to close-out — duplicate detection, dispatch and
// reassignment with conflict checks and overrides, the lifecycle with its
// actual times and outcome, and the history of every change with its
// actor — the stored day that suggestions and schedules start from, and
// the plans that run in the background, plans of the stored day among
// them and their application in one guarded change (batch dispatch),
// the operators' policy book: the named scheduling policies, the active
// one that prices every suggestion and plan that names none, and the
// history of their changes (policies.go), and the compares of policies
// that share the plan slots (Compare: every policy plans the same day;
// the plans measured alike and priced under every policy; sweeps of one
// weight).
//
// Every change publishes its events in the commit that makes it, with
// what each technician concerned is told; live subscribers read them
// (Subscribe) and webhooks deliver them (RegisterWebhook), both off the
// request that made the change, so that neither a slow reader nor a
// receiver that is down holds a dispatcher up.
//
// Every change is decided on what it read and committed only if that is
// still what the store holds (store.Change with guards), so that two
// dispatchers, on one replica or on many, never both win one technician's
// hour and no status update loses another. The actor of every change is a
// parameter of its call. Errors carry the kinds of model (invalid, not
// found, conflict, unavailable, …), which the HTTP layer maps to statuses.
package dispatch
