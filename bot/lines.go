package bot

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// RateTTL is how long the dispatcher keeps a sender's rate before reading
// it again (an operator's change in the console applies within it).
const RateTTL = time.Minute

// line is one sender as the dispatcher paces it: its pacer, and whether a
// batch of its messages is being handed out (then it claims no more).
type line struct {
	pacer *Pacer
	read  time.Time // when the rate was read
	busy  atomic.Bool
}

// lines are the senders the dispatcher has met. Only the feed goroutine
// uses the map; each line's busy flag is cleared by its hand-out.
type lines struct {
	d       *Dispatcher
	m       map[Phone]*line
	running sync.WaitGroup
	active  atomic.Int64
}

func (d *Dispatcher) newLines() *lines { return &lines{d: d, m: map[Phone]*line{}} }

// of returns from's line, reading its rate when it is new or stale.
func (ls *lines) of(from Phone) *line {
	l := ls.m[from]
	now := ls.d.now()
	if l != nil && (l.busy.Load() || now.Sub(l.read) < RateTTL) {
		return l
	}
	rate := ls.d.rateOf(from)
	if l == nil || l.pacer.Rate() != rate {
		l = &line{pacer: NewPacer(rate, ls.d.clock())}
		ls.m[from] = l
	}
	l.read = now
	return l
}

// room is how many messages from may be claimed now: none while its last
// batch is being handed out, else about a tenth of a second of its rate.
// Claim calls it outside any transaction, so it may read the rate.
func (ls *lines) room(from Phone) int {
	l := ls.of(from)
	if l.busy.Load() {
		return 0
	}
	return l.pacer.Batch(ls.d.maxBatch())
}

// busy reports whether any sender is handing out a batch.
func (ls *lines) busy() bool { return ls.active.Load() > 0 }

// start hands each sender's claimed messages to its own goroutine, which
// paces them at the sender's rate.
func (ls *lines) start(ctx context.Context, msgs []OutMessage, jobs chan<- OutMessage, results chan<- Outcome) {
	var order []Phone
	by := map[Phone][]OutMessage{}
	for _, m := range msgs {
		if _, ok := by[m.From]; !ok {
			order = append(order, m.From)
		}
		by[m.From] = append(by[m.From], m)
	}
	for _, from := range order {
		l := ls.of(from)
		l.busy.Store(true)
		ls.active.Add(1)
		ls.running.Go(func() {
			ls.d.handOut(ctx, l.pacer, by[from], jobs, results)
			l.busy.Store(false)
			ls.active.Add(-1)
			signal(ls.d.freed)
		})
	}
}

// wait returns once every hand-out has finished (on cancel they put their
// messages back in the queue).
func (ls *lines) wait() { ls.running.Wait() }

// rateOf is from's segments per second.
func (d *Dispatcher) rateOf(from Phone) float64 {
	if d.Rates == nil {
		return d.Rate
	}
	return d.Rates(from)
}
