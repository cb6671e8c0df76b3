package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Queue is the dispatcher's view of the durable outbox. Only one dispatcher
// may work a queue at a time.
type Queue interface {
	// Claim marks up to n due messages as sending in one transaction and
	// returns them: senders take turns, each taking at most room(sender)
	// (nil: n), urgent ones first and its announcements in turn; room is
	// called outside any transaction. A message
	// sending is never claimed again. A message to an opted-out phone is
	// settled as skipped instead. next is when to look again: now if more
	// may be due, the earliest due time if only later messages are left,
	// zero if the queue is empty.
	Claim(now time.Time, n int, room func(from Phone) int) (msgs []OutMessage, next time.Time, err error)
	// Record stores the outcomes of sends, all in one transaction.
	Record(now time.Time, outs []Outcome) error
	// Recover marks every message left sending by a process that died as
	// unknown (never sent again) and returns how many there were.
	Recover(now time.Time) (int, error)
}

// Reporter runs inside the transaction that completes an announcement; it
// queues the client's report.
type Reporter func(tx ReportTx, now time.Time, a *Announcement) error

// ReportTx is what a Reporter needs of the transaction.
type ReportTx interface {
	NoteTx
	Clients
}

// Outcome is what became of one claimed message.
type Outcome struct {
	ID     uint64
	Status MessageStatus // sent; queued to retry at NextAt; failed; unknown
	SID    string        // provider id when sent
	Tries  int           // send attempts so far
	NextAt time.Time     // when queued again
	Code   int           // provider error code
	Error  string
}

// Dispatcher defaults.
const (
	DefaultWorkers     = 12
	DefaultMaxBatch    = 256
	DefaultMaxTries    = 5
	DefaultSendTimeout = 30 * time.Second
	DefaultPoll        = time.Second
	recordBatch        = 1024
	maxErrorLen        = 300
)

// Dispatcher sends the outbox: it claims due messages, paces each sender
// (the service number, each client's own number) to its own rate, side by
// side, sends them with a small pool of workers and records the outcomes in
// batched transactions.
type Dispatcher struct {
	Queue   Queue  // the outbox service (Lifecycle)
	Sender  Sender // the provider
	Capture Sender // simulated phones' messages; never the provider
	Clock   Clock
	Rate    float64 // segments per second of the service number; 0 = unpaced
	// Rates is each sender's segments per second (0 = unpaced); nil paces
	// every sender at Rate. It is read when a sender is first met and at
	// most every RateTTL after.
	Rates func(from Phone) float64
	Log   *slog.Logger

	Workers     int                         // concurrent sends; DefaultWorkers if 0
	MaxBatch    int                         // most messages claimed at once
	MaxTries    int                         // send attempts before a retryable error fails
	SendTimeout time.Duration               // bound on one Send
	Poll        time.Duration               // longest idle wait without a Kick; DefaultPoll if 0
	Backoff     func(try int) time.Duration // wait after the try-th retryable failure
	// Sleep waits d unless ctx ends first; tests replace it with one that
	// advances a FixedClock. Nil means real timers.
	Sleep func(ctx context.Context, d time.Duration) error
	// Observer hears each send's outcome (metrics); nil is none.
	Observer Observer

	once     sync.Once
	kick     chan struct{}
	recorded chan struct{}
	freed    chan struct{} // a sender finished handing out its batch
	inflight atomic.Int64
}

// NewDispatcher returns a dispatcher on the system clock. capture receives
// simulated phones' messages; rate is NUDGES_SEND_RATE (0 = unpaced).
func NewDispatcher(q Queue, sender, capture Sender, rate float64) *Dispatcher {
	return &Dispatcher{Queue: q, Sender: sender, Capture: capture, Clock: SystemClock{}, Rate: rate}
}

func (d *Dispatcher) init() {
	d.once.Do(func() {
		d.kick = make(chan struct{}, 1)
		d.recorded = make(chan struct{}, 1)
		d.freed = make(chan struct{}, 1)
	})
}

// Kick tells the dispatcher new work was queued. It never blocks.
func (d *Dispatcher) Kick() {
	d.init()
	signal(d.kick)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Run recovers messages left in flight, then sends until ctx ends. On
// cancel it stops claiming, lets sends in flight finish, records them and
// returns nil; it fails only if recovery fails.
func (d *Dispatcher) Run(ctx context.Context) error { return d.run(ctx, false) }

// Drain is Run that returns once nothing is queued or in flight (messages
// due later are waited for). Tests and benchmarks use it.
func (d *Dispatcher) Drain(ctx context.Context) error { return d.run(ctx, true) }

func (d *Dispatcher) run(ctx context.Context, drain bool) error {
	d.init()
	n, err := d.Queue.Recover(d.now())
	if err != nil {
		return fmt.Errorf("recover in-flight messages: %w", err)
	}
	if n > 0 {
		Observe(d.Observer).Outbound(StatusUnknown, n)
		d.log().Warn("messages in flight at the last stop marked unknown; they will not be resent", "n", n)
	}
	jobs := make(chan OutMessage)
	results := make(chan Outcome, 4*d.workers())
	var wg sync.WaitGroup
	for range d.workers() {
		wg.Go(func() { d.work(context.WithoutCancel(ctx), jobs, results) })
	}
	recorded := make(chan struct{})
	go func() { d.record(results); close(recorded) }()
	d.feed(ctx, jobs, results, drain)
	close(jobs)
	wg.Wait()
	close(results)
	<-recorded
	return nil
}

// feed claims due messages for the senders not busy and hands each
// sender's batch to its own pacing goroutine, so senders send side by side.
func (d *Dispatcher) feed(ctx context.Context, jobs chan<- OutMessage, results chan<- Outcome, drain bool) {
	ls := d.newLines()
	defer ls.wait()
	for ctx.Err() == nil {
		busy := d.inflight.Load() > 0 || ls.busy()
		msgs, next, err := d.Queue.Claim(d.now(), d.maxBatch(), ls.room)
		if err != nil {
			d.log().Error("claim outbox", "err", err)
			d.sleep(ctx, time.Second)
			continue
		}
		if len(msgs) > 0 {
			ls.start(ctx, msgs, jobs, results)
			continue
		}
		if drain && !busy && next.IsZero() {
			return
		}
		d.idle(ctx, next, busy, ls.busy())
	}
}

// handOut paces msgs to the workers; on cancel the rest go back to the queue.
func (d *Dispatcher) handOut(ctx context.Context, p *Pacer, msgs []OutMessage, jobs chan<- OutMessage, results chan<- Outcome) {
	for i, m := range msgs {
		if !m.Simulated {
			n, _ := Segments(m.Body)
			if d.sleep(ctx, p.Reserve(n)) != nil {
				d.release(msgs[i:], results)
				return
			}
		}
		d.inflight.Add(1)
		select {
		case jobs <- m:
		case <-ctx.Done():
			d.inflight.Add(-1)
			d.release(msgs[i:], results)
			return
		}
	}
}

// release puts claimed messages that were never sent back in the queue.
func (d *Dispatcher) release(msgs []OutMessage, results chan<- Outcome) {
	now := d.now()
	for _, m := range msgs {
		d.inflight.Add(1)
		results <- Outcome{ID: m.ID, Status: StatusQueued, Tries: m.Tries, NextAt: now}
	}
}

// idle waits for new work: a kick, recorded results, a sender done with its
// batch, the next due time, or the poll interval (a safety net for a path
// that queues without a Kick).
//
// Work due now that was not claimed belongs to senders still handing out
// their batch: then only a sender freed (or a kick) is worth a look, not
// every recorded batch.
func (d *Dispatcher) idle(ctx context.Context, next time.Time, busy, handing bool) {
	wait := d.poll()
	if !next.IsZero() {
		if !busy && d.Sleep != nil {
			d.Sleep(ctx, next.Sub(d.now()))
			return
		}
		if next.After(d.now()) || !handing {
			wait = min(wait, next.Sub(d.now()))
		}
	}
	recorded := d.recorded
	if handing {
		recorded = nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-d.kick:
	case <-recorded:
	case <-d.freed:
	case <-t.C:
	}
}

func (d *Dispatcher) work(ctx context.Context, jobs <-chan OutMessage, results chan<- Outcome) {
	for m := range jobs {
		results <- d.send(ctx, m)
	}
}

// send makes one attempt: simulated phones go to Capture, never Sender.
func (d *Dispatcher) send(ctx context.Context, m OutMessage) Outcome {
	s := d.Sender
	if m.Simulated {
		s = d.Capture
	}
	if s == nil {
		return Outcome{ID: m.ID, Status: StatusFailed, Tries: m.Tries + 1, Error: "no sender configured"}
	}
	ctx, cancel := context.WithTimeout(ctx, d.sendTimeout())
	defer cancel()
	sid, err := s.Send(ctx, m)
	o := d.classify(m, sid, err)
	if !m.Simulated {
		Observe(d.Observer).Outbound(o.Status, 1)
	}
	if err != nil {
		d.log().Warn("send failed", "id", m.ID, "to", m.To, "try", o.Tries, "outcome", o.Status, "err", err)
	}
	return o
}

// classify turns a send's result into an outcome: retryable errors are
// queued again with backoff until MaxTries, an error that may have reached
// the provider is unknown, 21610 and everything else fail.
func (d *Dispatcher) classify(m OutMessage, sid string, err error) Outcome {
	o := Outcome{ID: m.ID, Tries: m.Tries + 1}
	if err == nil {
		o.Status, o.SID = StatusSent, sid
		return o
	}
	o.Status, o.Error = StatusFailed, truncate(err.Error(), maxErrorLen)
	var se *SendError
	if !errors.As(err, &se) {
		if errors.Is(err, context.DeadlineExceeded) {
			o.Status = StatusUnknown
		}
		return o
	}
	o.Code = se.Code
	switch {
	case se.Code == CodeOptedOut:
	case se.Unknown:
		o.Status = StatusUnknown
	case se.Retry && o.Tries < d.maxTries():
		o.Status, o.NextAt = StatusQueued, d.now().Add(d.backoff(o.Tries))
	}
	return o
}

// record commits outcomes in batches: whatever arrived while the previous
// commit ran goes into the next one.
func (d *Dispatcher) record(results <-chan Outcome) {
	for o := range results {
		batch := []Outcome{o}
	more:
		for len(batch) < recordBatch {
			select {
			case o, ok := <-results:
				if !ok {
					break more
				}
				batch = append(batch, o)
			default:
				break more
			}
		}
		err := d.Queue.Record(d.now(), batch)
		if err != nil {
			// Left sending: marked unknown at the next start, never resent.
			d.log().Error("record send outcomes", "n", len(batch), "err", err)
		}
		d.inflight.Add(-int64(len(batch)))
		signal(d.recorded)
	}
}

func (d *Dispatcher) sleep(ctx context.Context, wait time.Duration) error {
	if wait <= 0 {
		return ctx.Err()
	}
	if d.Sleep != nil {
		return d.Sleep(ctx, wait)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// DefaultBackoff waits 1s, 2s, 4s, 8s… (at most a minute) after each
// retryable failure, give or take a fifth at random.
func DefaultBackoff(try int) time.Duration {
	base := time.Second << min(max(try-1, 0), 6)
	base = min(base, time.Minute)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(base) * jitter)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func (d *Dispatcher) now() time.Time { return d.clock().Now() }

func (d *Dispatcher) clock() Clock {
	if d.Clock == nil {
		return SystemClock{}
	}
	return d.Clock
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Log == nil {
		return slog.Default()
	}
	return d.Log
}

func (d *Dispatcher) workers() int               { return orDefault(d.Workers, DefaultWorkers) }
func (d *Dispatcher) maxBatch() int              { return orDefault(d.MaxBatch, DefaultMaxBatch) }
func (d *Dispatcher) maxTries() int              { return orDefault(d.MaxTries, DefaultMaxTries) }
func (d *Dispatcher) sendTimeout() time.Duration { return orDefault(d.SendTimeout, DefaultSendTimeout) }
func (d *Dispatcher) poll() time.Duration        { return orDefault(d.Poll, DefaultPoll) }

func (d *Dispatcher) backoff(try int) time.Duration {
	if d.Backoff != nil {
		return d.Backoff(try)
	}
	return DefaultBackoff(try)
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
