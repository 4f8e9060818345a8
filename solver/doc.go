// Package solver is dispatchd's optimiser. Plan assigns and routes a whole
// dispatch window; Suggest ranks technicians for one order against a day
// in progress and Slots offers a customer arrival windows; Qualify says
// why a technician may not take an order. All answer in the model's terms
// and never see JSON, HTTP or Redis.
//
// # What Plan does
//
// Plan compiles a validated problem into flat arrays (times in integer
// milliseconds, which keeps the DIMACS one-decimal travel times exact; a
// dense travel table up to 4,096 places, legs computed on demand beyond),
// builds a complete plan by greedy insertion, and improves it by ruin and
// recreate under simulated annealing until its budget is spent: an
// iteration count (deterministic under a seed), a time limit or the
// context's deadline. It keeps the best plan found and returns it; every
// hard constraint holds in every plan it ever holds.
//
// Compiling is near-linear in the orders: neighbour lists come from a k-d
// tree, qualifications from integer profiles once per set of
// requirements; only the dense travel table (up to 4,096 places) is
// quadratic, by design. The table numbers places by place, not as they
// come (layout.go): near places get near numbers, so the legs the local
// search looks up around a job share a few cache lines; on the
// 1,000-customer instances, whose 12 MB table is far beyond the caches,
// that made an iteration 1.3 to 1.6 times as fast with the same plans.
// The time limit bounds the whole call — compiling,
// building, improving and explaining: timers set flags that every
// insertion reads, the search ends early enough to explain what it leaves
// out, and a plan whose time runs out before it is built comes back with
// what was built and the rest unassigned, "not considered". A run with an
// iteration budget and no deadline decides nothing by the clock.
//
// # Why this algorithm
//
// The improvement step is SISR (Christiaens & Vanden Berghe, "Slack
// Induction by String Removals", Transportation Science 2020): remove
// strings of route-adjacent jobs around a random seed — plain or split,
// keeping a block in the middle — and reinsert all absent jobs greedily
// in a random, demand, far-first or close-first order with blinks (a
// position is skipped with probability 0.01), accepting by simulated
// annealing. It was chosen over a population method (hybrid genetic
// search) because one solution and one move type carry every field-service
// constraint with no crossover or repair to write for each, and because
// it converges fast. What hybrid genetic search does better was then
// added to it, each part kept only when it measured better: a local
// search on every candidate (relocate, swap, 2-opt*, or-opt and SWAP*,
// filtered in constant time), and a small pool of elite plans crossed by
// route exchange. On the 56 Solomon instances, one core each, both cores
// busy, the mean gap to the best-known distances went from 0.350 % to
// 0.249 % at 2 s and from 0.181 % to 0.085 % at 10 s (best known matched
// on 45 instances rather than 30) in the session that added them; on
// their own cores, one thread 0.180 % and two 0.105 % at 2 s. Pricing
// the moves with inlined travel lookups then doubled the iterations a
// second with the same plans at the same iterations, which took the mean
// gap, side by side, from 0.155 % to 0.094 % at 2 s and from 0.049 % to
// 0.019 % at 10 s (worst 0.88 % to 0.46 %; best known matched on 50
// instances). Searching
// through infeasible plans with penalties for time warp and load, as
// hybrid genetic search does, is not built: every plan the search holds
// is feasible, which keeps breaks, several windows and the other
// field-service rules exact in every move.
//
// Against hybrid genetic search itself (the DIMACS 2021 winner's C++
// code, one thread, built and run on the same 2-core machine, same
// rounding), mean gaps to the best-known distances: the 56 Solomon
// instances at 2 s, 0.090 % for it and 0.08 to 0.13 % for us; at 10 s we
// are at 0.03 %, where it is at 4 s. On the first Gehring–Homberger
// instance of each class, not tuned on: 200 customers at 20 s, 0.038 %
// and 0.015 to 0.040 %; 1,000 customers at 60 s, 2.07 % on the five it
// solved (it had no feasible plan of r1_10_1 yet) and 1.07 to 1.10 % for
// us on all six.
//
// Adaptations, each measured (the commit messages hold the numbers):
//
//   - Priorities first: recreate orders jobs by the cost of leaving them
//     out before SISR's order, so emergencies are placed before routine
//     work.
//   - The annealing starts at 10, not 100, times a scale of a tenth of the
//     problem's cost per job (better on short runs, equal on long ones;
//     see temperatures).
//   - Granular insertion: a job with many qualified technicians tries the
//     routes of its 40 nearest neighbours and one empty route per class of
//     interchangeable technicians, all of them only when none fits — 2.6
//     times the iterations on 1,000 customers, the same gaps on 100.
//   - Retries: a job left out is tried again only on the routes that
//     changed since it last fit nowhere. On an overloaded day of 10,000
//     orders, 4,000 of which stay out for good, trying each on every
//     route every iteration left 4 iterations a second; now about 600,
//     and 6 times as many on 1,000 orders, at the same quality per
//     iteration.
//   - Focus: when a few jobs that could be placed are left out (a tight
//     fleet), half the ruins start next to one of them and the jobs left
//     out most often are reinserted first, as in SISR's fleet
//     minimisation; on an overloaded day, where many orders stay out for
//     good, this would only do harm and stays off.
//   - Growing ruins: while the search finds no new best its ruins grow,
//     by SISR's ten jobs over every fifth of the budget, to three times
//     the size (at most three tenths of the day's jobs, so a small day
//     is not restarted), and shrink back on the next new best (ruin.go). rc102
//     fell at 10 s into a plan 1.1 % above the best known in 3 of 4
//     seeds, 10 of its 14 routes away from it; with growing ruins the
//     three seeds reach the best known. On the 56 Solomon instances at
//     10 s, side by side, the mean stayed (0.037 % and 0.034 %) and the
//     worst fell from 1.10 % to 0.60 %; at 2 s 0.086 % and 0.080 %; the
//     1,000-order real day assigned 661 orders rather than 658 with 4 %
//     less travel.
//   - Crossover, borrowed from hybrid genetic search: each search keeps a
//     small pool of diverse local optima and now and then crosses its
//     current plan with one of them (see Crossover below).
//
// # Local search
//
// Each new best plan is improved by a local search before it is kept,
// and so is every candidate while every order is served (localsearch.go):
// relocate (before or after a neighbour), swap and 2-opt* between each job
// and its 20 nearest neighbours — on new bests also the same moves of two
// jobs in a row (or-opt and pair swaps, segments.go: better at equal CPU
// there, dearer than they gain on every candidate) — first improvement,
// on the jobs of the routes that changed since the last best
// (which had no improving move left) and then of the routes the moves
// change. A move is priced first by its travel alone from the travel
// table, in constant time — the search's innermost loop, four fifths of
// its time on the Solomon instances, so each leg is looked up once and
// through a closure the compiler inlines (a method value, which it
// cannot inline, made every iteration twice as dear); those that gain are then tested in constant
// time against necessary conditions from the routes' bounds (the soonest
// the technician is free at the place before the change, whatever breaks
// were taken, must reach the place after it by the latest it may be
// reached; capacity), which on the Solomon instances ruled out every one
// of the 97 % that laying out had found infeasible, and made the search
// 2.4 times as fast with the same plan at the same iterations; the few
// left are laid out exactly with the route's own schedule (breaks, windows, shifts, lateness, overtime) and
// checked for qualification, capacity and max_jobs, so every field-service
// rule holds and the whole objective falls. Laying out the changed routes
// costs their length, not a constant: with breaks and soft time costs on
// every real day, a constant-time evaluation by concatenated segments
// would need the break DP in the segment algebra, and the filter already
// leaves few moves to lay out. Trying every job of every accepted plan cut
// the iterations 20-fold for no better plan; trying the jobs of changed
// routes on new bests took the mean Solomon gap at 2 s, side by side on
// one core each, from 0.76 % to 0.64 %. Doing so for every candidate
// too, before it is judged, took it from 0.394 % to 0.332 % at 2 s, but
// on an overloaded real day (1,000 orders, 100 technicians, 20 s) cut the
// iterations from 10,400 to 3,700 a second and assigned 647 orders rather
// than 655: there, with orders left out, insertions decide and
// iterations are worth more. So every candidate is searched only while
// every order is served, when the objective is the routing alone.
//
// When the per-job moves find nothing more, SWAP* (after Vidal, 2022;
// swapstar.go) exchanges a job u of one route and a job v of another
// that lies near it (a job of one has a job of the other among its 20
// nearest neighbours, one of the two changed since the last SWAP*), each
// put at its best place in the other route rather than where the other
// was: the three cheapest gaps of every job in the other route where it
// fits in time are found first, so every pair (u, v) is priced by travel
// in constant time (v's removal spoils at most two of the three, or u
// takes v's place, tested in time from the bounds), and the three
// best-priced exchanges of the two routes are laid out exactly, as every
// move is, so pinned stops, qualifications and every hard rule hold. The
// per-job moves then search the routes it changed again. On every
// candidate it took the mean Solomon gap at 20,000 iterations from
// 0.257 % to 0.218 % (r1 0.33 % to 0.20 %) but made each iteration 2.7
// times as dear (2,475 iterations a second against 5,370 on
// BenchmarkSolomon's eight at 1 s). It is spent on new bests and on
// candidates that beat the best after the per-job moves:
// at 20,000 iterations 0.257 % to 0.230 % (median 0.043 % to 0.021 %,
// best known distances matched on 28 instances rather than 25) in the
// same CPU time (172 s against 181 s for the 56); at 2 s, two sittings
// under a load of 4 to 6, 0.353 % and 0.372 % against main's 0.386 % and
// 0.357 %, within the noise; the 400-order real day (20 s) kept its 393
// orders with a slightly lower objective.
//
// # Crossover
//
// Hybrid genetic search owes its edge to a population and crossover; we
// keep SISR's single trajectory and add both to it (crossover.go). Each
// search keeps up to 8 local optima with every order served, offered
// every 100 iterations and on each new best: one enters while there is
// room and it is not there already, then it replaces its nearest member by
// broken-pairs distance (the share of jobs whose successor differs) if it
// is cheaper, so the pool stays spread along the search's path. After a
// quarter of the search, one iteration in 20 with every order served
// crosses instead of ruining, by selective route exchange (Nagata &
// Kobayashi): 1 to 4 of a random member's routes (at most a fifth of
// them), those of a random job and its neighbours, replace the current
// plan's routes that hold most of their jobs; recreate places the jobs
// left out and local search educates the child, which the annealing
// judges like any candidate. A route moves whole only onto an empty
// technician of its class (interchangeable technicians: same shift,
// places, breaks, skills, capacity and max_jobs) and must lay out feasibly
// there, and a route with a pinned stop never moves, so every rule holds
// by construction. On the 56 Solomon instances, one core, seed 1, 20,000
// iterations: mean gap 0.257 % on main, 0.142 % with it; timed, on 2 shared cores
// at load 3.3 to 4.6, 2 s: 0.410, 0.403 and 0.504 % on main against 0.386
// and 0.476 % (even, within noise); 10 s on r104, r108, r205, r210, rc103,
// rc108, rc204 and rc207: 0.765 and 0.631 % on main against 0.497 and
// 0.382 % (load 4 to 6). On the real days of BenchmarkRealDay
// orders are left out, so it never crosses there.
//
// # Every core
//
// Options.Threads (default: one per core) runs that many searches at
// once, each with a random stream of its own derived from the seed, from
// the same first plan; at the end of every epoch (500 iterations under an
// iteration budget, 100 ms otherwise) each search whose best plan is worse
// than the best of all takes a copy of it as its best and current plan
// (parallel.go). Independent searches that share their best were chosen
// over parallel evaluation of one search's moves because an iteration is
// tens of microseconds on 100 customers, too little to split across
// cores, and because the exchange at iteration counts keeps a run with an
// iteration budget reproducible under a fixed thread count. On the 56
// Solomon instances at 2 s, each run alone on this 2-core box: one thread
// 0.101 % mean gap, two 0.039 % (best known matched on 37 and 46; worst
// 1.26 % and 0.88 %).
//
// # Constant-time insertion checks
//
// A route holds its jobs only. Breaks are taken where the technician is —
// at the job before, once it is done, or at the next, once arrived (while
// waiting for its window, typically), or at the end location once home —
// never on a trip of their own; where each goes follows from the route's
// schedule, a small dynamic programme over (place, breaks taken so far)
// whose every step is monotone in time (breaks.go). For every place and
// state the route keeps the earliest time the technician is free and the
// latest that keeps every later visit feasible (forward and backward time
// slack, as in Savelsbergh 1992 and Vidal et al. 2013, with the breaks a
// dimension of the state): inserting a job is feasible exactly when some
// state reached at the job's end is within its latest time, which costs
// nothing in the route's length and a few steps per break. Several windows
// per order keep this exact because a later arrival never gives an earlier
// start. Capacity (per dimension) and max_jobs are per-route totals. Soft
// time costs (lateness past the SLA deadline, overtime) follow the change
// down the route only until the schedule is the route's own again, and
// only for an insertion cheap enough without them to be the best. Plan,
// Suggest, Slots and Check follow routes with the same steps, so they
// cannot disagree.
//
// # Suggest and Slots
//
// NewState compiles a day in progress once: each technician's remaining
// route starts where and when they are free (after the stop they are on or
// driving to, else at their live position) and qualifications become
// integer tables. Suggest then finds each technician's best insertion of
// the order with the same constant-time checks as Plan and prices it with
// the planner's own objective (score.go): what it adds to travel time and
// distance, lateness (the order's and the knock-on of later stops),
// overtime, skill surplus, a preferred technician missed, the crew's
// balance of work and a changed plan, each weighed by the policy. The
// cheapest ranks first, and the score shows the cost on 0–100 against the
// policy's scale, so that a suggestion never ranks B over A when the
// planner would rather give the order to A (TestSuggestAgreesWithPlan).
// Most technicians are ruled out on flat arrays, in microseconds; a route
// is searched only if the technician's exact static costs and earliest
// possible start could rank.
//
// By default Suggest evaluates every technician. SuggestOptions.Pruned
// instead searches ring by ring of H3 cells outward from the order and
// stops when no technician farther out can beat the k-th best cost: one
// whose every place is beyond radius r adds at least 2r minus their
// longest leg of travel and cannot start before r's drive from now, which
// bounds each criterion, so the answer is the exhaustive one (tested on
// 220 random days). On a metro it did not pay while the score weighed the
// wait until service, which let a free technician far away beat a busy
// one nearby: the search reached 91–95% of the crew while walking rings.
// Measured then with dispatchd bench suggest, 8 stops a route, p50/p99:
// 1,000 technicians 165/497 µs evaluating everyone, 225/608 µs pruned;
// 10,000 technicians 1.42/3.89 ms against 2.03/7.00 ms.
//
// # Explanations
//
// Every order left unassigned carries reasons: the static constraints that
// rule technicians out, summarised across the crew ("no active technician
// has refrigeration ≥ 4 (best: T3 at 3)", "EPA-608 held by T3 (expired
// 2026-10-01), but not valid on the day"); or, when qualified technicians
// exist, whether the order fits nobody's shift, which days are full and
// why, or what its cheapest insertion would cost against leaving it out.
// Orders that need more than one technician stay unassigned until crews
// are planned.
package solver
