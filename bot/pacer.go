package bot

import (
	"sync"
	"time"
)

// pacerSlack is how far behind schedule a busy sender may fall and still
// catch up (a late wake-up sends its overdue segments at once); further
// behind, the sender was idle and the schedule starts afresh from now, with
// no credit banked.
const pacerSlack = 50 * time.Millisecond

// Pacer spaces outbound segments so that no more than Rate per second leave
// across the service. It books time on a virtual schedule (GCRA): each
// reservation moves the schedule forward by segments/Rate, and the caller
// waits until its slot. A nil Pacer or a Rate of 0 never waits.
type Pacer struct {
	rate  float64
	clock Clock

	mu     sync.Mutex
	anchor time.Time // start of the current busy spell
	booked float64   // segments booked since anchor
}

// NewPacer returns a pacer for rate segments per second on clock; rate 0
// means unpaced.
func NewPacer(rate float64, clock Clock) *Pacer {
	if clock == nil {
		clock = SystemClock{}
	}
	return &Pacer{rate: rate, clock: clock}
}

// Rate is the pacer's segments per second; 0 means unpaced.
func (p *Pacer) Rate() float64 {
	if p == nil {
		return 0
	}
	return p.rate
}

// Reserve books n segments and returns how long the caller must wait before
// sending them. The first reservation after an idle spell goes at once, and
// the next waits for the segments before it. Slots are counted from the start
// of the busy spell, so rounding never drifts.
func (p *Pacer) Reserve(n int) time.Duration {
	if p == nil || p.rate <= 0 {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	slot := p.anchor.Add(time.Duration(p.booked * float64(time.Second) / p.rate))
	if now.Sub(slot) > pacerSlack {
		p.anchor, p.booked, slot = now, 0, now // idle: start afresh, no credit
	}
	p.booked += float64(max(n, 1))
	return max(slot.Sub(now), 0)
}

// Batch is how many messages the dispatcher may claim ahead of sending:
// about a tenth of a second of pacing, so that a reply queued behind a bulk
// batch waits little and a crash leaves few messages unknown. Unpaced, it is
// limit.
func (p *Pacer) Batch(limit int) int {
	r := p.Rate()
	if r <= 0 {
		return limit
	}
	return min(max(int(r/10), 1), limit)
}
