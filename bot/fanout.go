package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Fan-out defaults: a transaction covers at most DefaultFanoutChunk list
// entries, fewer when that would take longer than DefaultFanoutBudget of
// work, so that inbound turns never wait long for the writer.
const (
	DefaultFanoutChunk  = 2000
	DefaultFanoutBudget = 10 * time.Millisecond
	minFanoutChunk      = 500
	fanoutKeys          = 4 // keys per list entry: subscription, conversation, row, queue
	// fanoutStep: list entries read, composed and queued at a time on a
	// store whose writes wait for each other (bbolt); between steps a chunk
	// that other writes wait for ends once it did a tenth of its budget,
	// so an inbound turn waits for about that much of its work, not all.
	fanoutStep = 100
	// minConflictChunk: the fewest list entries a chunk shrinks to when its
	// transaction keeps running again (conflicts on etcd).
	minConflictChunk = 10
)

// Recipient is one subscriber an announcement goes to: the subscription
// and what the fan-out read of the phone's conversation.
type Recipient struct {
	Sub  Subscription
	Conv Conversation
	// Introduce: this is the phone's first message from the client's own
	// number, whose body starts with a line naming the business (§11).
	Introduce bool
}

// Composer makes the body (and picture URL, "" for none) one recipient gets
// of announcement a from the client named name, and reports whether it
// carries the opt-out line (the subscription's NoticeAt is then set to now).
type Composer func(a *Announcement, name string, r *Recipient, now time.Time) (body, mediaURL string, notice bool)

// StartFanout saves a (new or scheduled) announcement as due to fan out:
// the FanOut worker adds its recipients after the transaction commits, in
// bounded transactions. Its audience is the list at a.CreatedAt: phones
// that join later are left out. Call FanOut.Kick after the commit.
func StartFanout(tx Outbox, a *Announcement) error {
	a.Fanning, a.Cursor = true, ""
	if a.Counts == nil {
		a.Counts = map[MessageStatus]int{}
	}
	if err := tx.PutAnnouncement(a); err != nil {
		return fmt.Errorf("start fan-out: %w", err)
	}
	return emitIf(tx, a.Client, HookAnnouncementSent, a.CreatedAt, announcementHook(a))
}

// FanOut adds the recipients of confirmed announcements to the outbox, a
// chunk of the list per write transaction, each saving the cursor with the
// rows it covers: after a crash it resumes where the last commit ended, so
// nobody gets two rows and nobody is skipped. The dispatcher sends the rows
// while later chunks are still being added.
type FanOut struct {
	Store   Store
	Compose Composer
	// Due is when a recipient's message may go (NextAt); nil means now.
	// The send window plugs in here (SendWindow.Due); rows due later are
	// counted in Announcement.Held.
	Due    func(a *Announcement, r *Recipient, now time.Time) time.Time
	Report Reporter // queues the client's report when the last row settled first
	// Halt drops the unsent rows of an announcement the client halted
	// while it was Fanning (Lifecycle.Halt); nil leaves them to be settled
	// halted as the dispatcher reaches them.
	Halt   func(id uint64, now time.Time) (*Announcement, int, error)
	Clock  Clock
	Chunk  int           // most list entries per transaction; DefaultFanoutChunk if 0
	Budget time.Duration // work per transaction the chunk adapts to; DefaultFanoutBudget if 0
	Notify func()        // rows were added: wake the dispatcher
	Poll   time.Duration
	Log    *slog.Logger

	once sync.Once
	kick chan struct{}
	size int // entries in the next chunk, adapted to Budget
}

func (f *FanOut) init() { f.once.Do(func() { f.kick = make(chan struct{}, 1) }) }

// Kick tells the worker an announcement started. It never blocks.
func (f *FanOut) Kick() {
	f.init()
	signal(f.kick)
}

// Run fans out every unfinished announcement, then waits for more, until
// ctx ends.
func (f *FanOut) Run(ctx context.Context) error {
	f.init()
	for ctx.Err() == nil {
		if err := f.Drain(ctx); err != nil {
			f.log().Error("fan-out", "err", err)
		}
		t := time.NewTimer(orDefault(f.Poll, DefaultPoll))
		select {
		case <-ctx.Done():
		case <-f.kick:
		case <-t.C:
		}
		t.Stop()
	}
	return nil
}

// Drain fans out every unfinished announcement and returns when none is
// left (or ctx ends).
func (f *FanOut) Drain(ctx context.Context) error {
	var ids []uint64
	err := f.Store.View(func(tx Tx) error {
		var err error
		ids, err = tx.Fanning()
		return err
	})
	if err != nil {
		return fmt.Errorf("list fan-outs: %w", err)
	}
	for _, id := range ids {
		for ctx.Err() == nil {
			done, err := f.Step(id)
			if err != nil {
				return fmt.Errorf("announcement %d: %w", id, err)
			}
			if done {
				break
			}
		}
	}
	return nil
}

// Step adds the next chunk of announcement id's recipients in one write
// transaction and reports whether the fan-out is finished.
func (f *FanOut) Step(id uint64) (done bool, err error) {
	added, n, halted := 0, f.nextSize(), false
	// Batch (BulkBatch where the store has it: inbound turns waiting for
	// the writer commit before the chunk, not with it). The chunk reads
	// everything from tx, so running it again after a batch member failed
	// is safe.
	batch := f.Store.Batch
	if b, ok := f.Store.(BulkBatcher); ok {
		batch = b.BulkBatch
	}
	runs := 0
	err = batch(func(tx Tx) error {
		began := time.Now()
		if runs++; runs > 1 {
			// Run again: on etcd something the last run read changed
			// before its commit (a turn joined or left the list within the
			// pages it read). A smaller chunk reads fewer keys for less
			// time: halving each run, a busy list cannot hold it off.
			n = max(n/2, minConflictChunk)
		}
		a, err := tx.Announcement(id)
		if err != nil || a == nil || !a.Fanning {
			done = true
			return err
		}
		if halted = a.Halted; halted {
			return f.stopped(tx, a)
		}
		var read int
		added, read, done, err = f.chunk(tx, a, n)
		if runs > 1 {
			f.size = 2 * n // grow back gently, not to the usual floor
		} else {
			f.adapt(n, read, time.Since(began))
		}
		return err
	})
	if errors.Is(err, ErrTxTooLarge) && n > 1 {
		f.size = n / 2 // long bodies: fewer rows fit a transaction
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("fan-out step: %w", err)
	}
	if halted && f.Halt != nil {
		if _, _, err := f.Halt(id, f.now()); err != nil {
			return false, err
		}
		return true, nil
	}
	if added > 0 && f.Notify != nil {
		f.Notify()
	}
	if done {
		f.log().Info("fan-out finished", "announcement", id)
	}
	return done, nil
}

// stopped ends a halted announcement's fan-out when there is no Halt to
// drop its rows (they settle halted as the dispatcher claims them).
func (f *FanOut) stopped(tx Tx, a *Announcement) error {
	if f.Halt != nil {
		return nil
	}
	a.Fanning = false
	return tx.PutAnnouncement(a)
}

// chunk adds the rows of the next page of a's list (at most n entries,
// fewer when other writes wait for it) and saves a. read is the entries
// it covered. Where writes wait for each other (bbolt) it reads, composes
// and queues fanoutStep entries at a time, and ends after a step once
// yield says so.
func (f *FanOut) chunk(tx Tx, a *Announcement, n int) (added, read int, done bool, err error) {
	now := f.now()
	client, err := tx.Client(a.Client)
	if err != nil {
		return 0, 0, false, fmt.Errorf("load client: %w", err)
	}
	name, from := a.Keyword, SenderOf(client)
	if client != nil {
		name = client.Name
	}
	yield, step := f.yield(tx), n
	if yield != nil {
		step = min(fanoutStep, n)
	}
	last := false
	for read < n && !last {
		want := min(step, n-read)
		subs, convs, err := tx.AudiencePage(a.Keyword, a.Cursor, want)
		if err != nil {
			return 0, 0, false, fmt.Errorf("read list: %w", err)
		}
		last = len(subs) < want
		k, err := f.queue(tx, a, name, from, audience(client, subs, now), convs, now)
		if err != nil {
			return 0, 0, false, err
		}
		if len(subs) > 0 {
			a.Cursor = subs[len(subs)-1].Phone
		}
		added, read = added+k, read+len(subs)
		if yield != nil && yield() {
			break
		}
	}
	if last {
		a.Fanning = false
		complete(tx, now, a, f.Report, f.log())
	}
	if err := tx.PutAnnouncement(a); err != nil {
		return 0, 0, false, fmt.Errorf("save announcement: %w", err)
	}
	return added, read, !a.Fanning, nil
}

// queue adds the rows of one page of a's list to the outbox and counts
// them in a.
func (f *FanOut) queue(tx Tx, a *Announcement, name string, from Phone, subs []Subscription, convs []Conversation, now time.Time) (int, error) {
	msgs, noticed := f.rows(a, name, from, subs, convs, now)
	if err := tx.EnqueueBulk(msgs); err != nil {
		return 0, fmt.Errorf("queue recipients: %w", err)
	}
	if err := tx.PutSubscriptions(noticed); err != nil {
		return 0, fmt.Errorf("note opt-out lines: %w", err)
	}
	if len(msgs) > 0 { // ids grow per process: a chunk by another process may start lower
		if a.FirstRow == 0 || msgs[0].ID < a.FirstRow {
			a.FirstRow = msgs[0].ID
		}
		a.LastRow = max(a.LastRow, msgs[len(msgs)-1].ID)
	}
	a.Total += len(msgs)
	a.Counts[StatusQueued] += len(msgs)
	for i := range msgs {
		a.hold(msgs[i].NextAt, now, 1)
	}
	return len(msgs), nil
}

// yield is when a chunk in tx should end early: other writes wait for its
// commit (Contender) and it has done a tenth of its budget's work (a
// quarter let a turn wait 2.1× its p99 before a 100k fan-out, a tenth
// 1.8×, and cost a third of the fan-out's rate: docs/benchmarks.md). nil
// when tx cannot tell (etcd: writers do not wait for each other).
func (f *FanOut) yield(tx Tx) func() bool {
	c, ok := tx.(Contender)
	if !ok {
		return nil
	}
	began, least := time.Now(), orDefault(f.Budget, DefaultFanoutBudget)/10
	return func() bool { return time.Since(began) >= least && c.Waiting() }
}

// rows makes one message per page entry that is in a's audience: on the
// list at CONFIRM (joined no later than a.CreatedAt) and not opted out of
// sender from (the client's own number once ready, else the service
// number).
func (f *FanOut) rows(a *Announcement, name string, from Phone, subs []Subscription, convs []Conversation, now time.Time) ([]OutMessage, []Subscription) {
	msgs := make([]OutMessage, 0, len(subs))
	var noticed []Subscription
	for i := range subs {
		r := &Recipient{Sub: subs[i], Conv: convs[i]}
		if r.Sub.Phone == "" || r.Sub.JoinedAt.After(a.CreatedAt) || r.Conv.OptedOutOf(from) {
			continue
		}
		r.Introduce = from != "" && r.Sub.HeardFrom != from
		body, media, notice := f.Compose(a, name, r, now)
		due := now
		if f.Due != nil {
			due = f.Due(a, r, now)
		}
		msgs = append(msgs, OutMessage{
			To: r.Conv.Phone, From: from, Body: body, MediaURL: media, Kind: KindAnnouncement, Priority: PriorityBulk,
			AnnouncementID: a.ID, Simulated: a.Simulated || r.Conv.Simulated,
			CreatedAt: now, UpdatedAt: now, NextAt: due,
		})
		if notice {
			r.Sub.NoticeAt = now
		}
		if r.Introduce {
			r.Sub.HeardFrom = from
		}
		if notice || r.Introduce {
			noticed = append(noticed, r.Sub)
		}
	}
	return msgs, noticed
}

// audience is subs with those not in c's audience (a paid list's free or
// ended memberships, see Audience) blanked out, so that the page keeps
// its length and its cursor.
func audience(c *Client, subs []Subscription, now time.Time) []Subscription {
	if c == nil {
		return subs
	}
	var out []Subscription
	for i := range subs {
		if !Audience(c, subs[i], now) {
			if out == nil {
				out = slices.Clone(subs)
			}
			out[i] = Subscription{}
		}
	}
	if out == nil {
		return subs
	}
	return out
}

// nextSize is the next chunk's size: Chunk when set explicitly smaller
// than the adapted size, else what fits in Budget.
func (f *FanOut) nextSize() int {
	limit := fit(f.Store, orDefault(f.Chunk, DefaultFanoutChunk), fanoutKeys)
	if f.size <= 0 || f.size > limit {
		f.size = limit
	}
	return f.size
}

// adapt sizes the next chunk from how long read entries of the n planned
// took (read < n when the chunk ended early for waiting writes).
func (f *FanOut) adapt(n, read int, took time.Duration) {
	if took <= 0 || n <= 0 || read <= 0 {
		return
	}
	budget := orDefault(f.Budget, DefaultFanoutBudget)
	next := int(float64(read) * float64(budget) / float64(took))
	next = max(min(next, 2*n), n/2) // move gently
	f.size = max(next, min(minFanoutChunk, orDefault(f.Chunk, DefaultFanoutChunk)))
}

func (f *FanOut) now() time.Time {
	if f.Clock == nil {
		return SystemClock{}.Now()
	}
	return f.Clock.Now()
}

func (f *FanOut) log() *slog.Logger {
	if f.Log == nil {
		return slog.Default()
	}
	return f.Log
}
