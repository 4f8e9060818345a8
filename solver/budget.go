package solver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"
)

// budget is what one Plan call may spend. It starts with the call, so that
// validation, compiling, construction, improvement and the explanations
// all count against the time limit, and it says that time is up through
// flags that timers and the context set: reading one is an atomic load,
// cheap enough to do before every insertion, so that a limit or a cancel
// takes effect within an insertion rather than an iteration, which on a
// 10,000-order day can take a second. A run with an iteration budget and
// no deadline never reads the clock to decide anything, so that it stays
// reproducible.
type budget struct {
	ctx      context.Context
	started  time.Time
	limit    time.Duration // the caller's time limit; zero means none
	deadline time.Time     // the earlier of the limit's and the context's; zero means none

	// searchOver is set when compiling, building and improving must end:
	// at the deadline, when the context is done, or early enough to leave
	// time for the explanations.
	searchOver atomic.Bool
	// over is set when the context is done or, a moment after a time
	// limit, when the explanations too must end: what is left is said in
	// the fewest words. The moment is half of what the limit's promise
	// allows past it, max(1 % of the limit, 100 ms), lest an estimate of
	// the explanations' time that fell short on a busy machine leave
	// orders unexplained for want of a few milliseconds.
	over atomic.Bool

	timers      []*time.Timer
	stopContext func() bool
	searchTimer *time.Timer
}

func startBudget(ctx context.Context, limit time.Duration) *budget {
	b := &budget{ctx: ctx, started: time.Now(), limit: limit}
	if limit > 0 {
		b.deadline = b.started.Add(limit)
	}
	if d, ok := ctx.Deadline(); ok && (b.deadline.IsZero() || d.Before(b.deadline)) {
		b.deadline = d
	}
	stop := func() {
		b.over.Store(true)
		b.searchOver.Store(true)
	}
	if !b.deadline.IsZero() {
		grace := time.Duration(0)
		if b.limitCut() {
			grace = max(limit/100, 100*time.Millisecond) / 2
		}
		b.timers = append(b.timers,
			time.AfterFunc(time.Until(b.deadline), func() { b.searchOver.Store(true) }),
			time.AfterFunc(time.Until(b.deadline.Add(grace)), stop))
	}
	b.stopContext = context.AfterFunc(ctx, stop)
	// The timers run stop in a goroutine of their own; a budget spent by
	// the time they are set says so at once, so that such a run does the
	// same every time.
	if ctx.Err() != nil || !b.deadline.IsZero() && !time.Now().Before(b.deadline) {
		stop()
	}
	return b
}

// release stops the budget's timers.
func (b *budget) release() {
	for _, t := range b.timers {
		t.Stop()
	}
	b.stopContext()
	if b.searchTimer != nil {
		b.searchTimer.Stop()
	}
}

// spent reports whether the explanations must end; a nil budget never
// is.
func (b *budget) spent() bool { return b != nil && b.over.Load() }

// searchSpent reports whether compiling, building and improving must
// end; a nil budget never is.
func (b *budget) searchSpent() bool { return b != nil && b.searchOver.Load() }

// timed reports whether the run has a deadline.
func (b *budget) timed() bool { return !b.deadline.IsZero() }

// maxReserve bounds the part of the run's time reserve may set aside: an
// estimate timed while the machine was busy elsewhere must not cut the
// search short by much; should the explanations need more, the last
// orders get a sentence each.
const maxReserve = 0.25

// reserve ends the search d before the deadline, to leave d for the
// explanations, and returns when that is.
func (b *budget) reserve(d time.Duration) time.Time {
	d = min(d, time.Duration(maxReserve*float64(b.deadline.Sub(b.started))))
	end := b.deadline.Add(-d)
	if b.searchTimer != nil {
		b.searchTimer.Stop()
	}
	b.searchTimer = time.AfterFunc(time.Until(end), func() { b.searchOver.Store(true) })
	return end
}

// err is the error Plan returns beside its plan: the context's, unless it
// only reached its deadline, which like a time limit ends a plan normally.
func (b *budget) err() error {
	if e := b.ctx.Err(); e != nil && !errors.Is(e, context.DeadlineExceeded) {
		return e
	}
	return nil
}

// notConsidered is the reason of an order the run never got to try.
func (b *budget) notConsidered() string {
	switch {
	case b.err() != nil:
		return "not considered: the plan was cancelled while it was being built"
	case b.limitCut():
		return fmt.Sprintf("not considered: the time limit of %s ran out while building the plan", seconds(b.limit))
	default:
		return "not considered: the deadline passed while building the plan"
	}
}

// unexplained is the reason of an order the search left out when no time
// is left to work out why.
func (b *budget) unexplained() string {
	switch {
	case b.err() != nil:
		return "left unassigned by the search; the plan was cancelled before the reasons were worked out"
	case b.limitCut():
		return fmt.Sprintf("left unassigned by the search; the time limit of %s ran out before the reasons were worked out", seconds(b.limit))
	default:
		return "left unassigned by the search; the deadline passed before the reasons were worked out"
	}
}

// limitCut reports whether the time limit, not an earlier deadline of the
// context, is what ends the run.
func (b *budget) limitCut() bool {
	return b.limit > 0 && !b.deadline.Before(b.started.Add(b.limit))
}

// seconds writes a duration as a dispatcher reads a time limit: "10 s",
// "0.5 s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}
