package bot_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// logSender records what it sends, in order, and calls before (if set)
// ahead of each send.
type logSender struct {
	mu     sync.Mutex
	sent   []bot.OutMessage
	before func(n int, m bot.OutMessage)
}

func (s *logSender) Send(_ context.Context, m bot.OutMessage) (string, error) {
	s.mu.Lock()
	s.sent = append(s.sent, m)
	n := len(s.sent)
	s.mu.Unlock()
	if s.before != nil {
		s.before(n, m)
	}
	return fmt.Sprintf("SM%032d", m.ID), nil
}

func (s *logSender) log() []bot.OutMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// announce queues an announcement of n messages from sender from, as the
// fan-out leaves it: its subscribers on the list, its rows queued at now.
func announce(t *testing.T, db bot.Store, from bot.Phone, keyword string, n int, now time.Time) uint64 {
	t.Helper()
	a := &bot.Announcement{Client: phone(9_000_000), Keyword: keyword, Text: "news", Total: n, CreatedAt: now,
		Counts: map[bot.MessageStatus]int{bot.StatusQueued: n}}
	err := db.Update(func(tx bot.Tx) error {
		if err := tx.PutAnnouncement(a); err != nil {
			return err
		}
		msgs := make([]bot.OutMessage, n)
		for i := range msgs {
			to := bot.Phone(fmt.Sprintf("+1555%s%04d", keyword[:3], i))
			if _, err := tx.Subscribe(keyword, to, now); err != nil {
				return err
			}
			msgs[i] = bot.OutMessage{To: to, From: from, Body: keyword + " news", Kind: bot.KindAnnouncement,
				Priority: bot.PriorityBulk, AnnouncementID: a.ID, CreatedAt: now, UpdatedAt: now}
		}
		return tx.EnqueueBulk(msgs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// positions returns where in log the messages of announcement ann were.
func positions(log []bot.OutMessage, ann uint64) []int {
	var at []int
	for i, m := range log {
		if m.AnnouncementID == ann {
			at = append(at, i)
		}
	}
	return at
}

// fairDispatcher is a dispatcher on h's store and clock sending through s
// at rate, its waits moving the fixed clock, one worker (sends go in
// hand-out order).
func fairDispatcher(h *dispHarness, s bot.Sender, rate float64) *bot.Dispatcher {
	d := bot.NewDispatcher(&bot.Lifecycle{Store: h.db, Clock: h.clock}, s, s, rate)
	d.Clock, d.Log, d.Workers = h.clock, slog.New(slog.DiscardHandler), 1
	d.Sleep = func(ctx context.Context, w time.Duration) error { h.clock.Advance(w); return ctx.Err() }
	return d
}

// The fairness case: a 10-person announcement confirmed a second into a
// 1,500-person one from the same sender at 50 segments a second takes
// turns with it, so its last message goes out about 20 sends after its
// CONFIRM, not after the 1,500.
func TestDispatchSmallAnnouncementTakesTurnsWithABigOne(t *testing.T) {
	h := newDispHarness(t)
	big := announce(t, h.db, "", "BIG", 1500, dispT0)
	var small uint64
	var confirmedAt int
	s := &logSender{}
	d := fairDispatcher(h, s, 50)
	s.before = func(n int, _ bot.OutMessage) {
		if n == 50 { // a second in
			small, confirmedAt = announce(t, h.db, "", "SMALL", 10, h.clock.Now()), n
			d.Kick()
		}
	}
	h.drain(d)
	log := s.log()
	if len(log) != 1510 || len(positions(log, big)) != 1500 {
		t.Fatalf("%d sent, want 1510", len(log))
	}
	at := positions(log, small)
	// Taking turns, its 10 go within its own 10 and the big one's 10, plus
	// the batch claimed before it was confirmed (a tenth of a second: 5).
	if len(at) != 10 || at[9]-confirmedAt > 2*10+5 {
		t.Fatalf("small announcement sent at %v, confirmed after send %d: want all within %d sends", at, confirmedAt, 2*10+5)
	}
}

// Two senders go side by side: a slow sender's backlog (the service number
// at 0.2 a second) does not hold up a client's own number at its own fast
// rate. Real timers: the slow one's second message is five seconds away,
// so the fast one's 40 must all go before it.
func TestDispatchSendersSideBySide(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	own := bot.Phone("+18335550100")
	slow := announce(t, db, "", "SLOW", 20, now)
	fast := announce(t, db, own, "FAST", 40, now)
	s := &logSender{}
	d := bot.NewDispatcher(&bot.Lifecycle{Store: db}, s, s, 0)
	d.Log = slog.New(slog.DiscardHandler)
	d.Rates = func(from bot.Phone) float64 {
		if from == own {
			return 1000
		}
		return 0.2
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for len(positions(s.log(), fast)) < 40 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	log := s.log()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := len(positions(log, fast)); got != 40 {
		t.Fatalf("own number sent %d of 40", got)
	}
	if got := len(positions(log, slow)); got != 1 {
		t.Errorf("service number sent %d while the own number sent its 40, want 1 (then 5 s until the next)", got)
	}
	for _, m := range log {
		if (m.AnnouncementID == fast) != (m.From == own) {
			t.Errorf("message %d of announcement %d went from %q", m.ID, m.AnnouncementID, m.From)
		}
	}
}

// Within one sender, a reply queued while its announcements go out is
// sent before the rest of them.
func TestDispatchRepliesGoFirstWithinTheirSender(t *testing.T) {
	h := newDispHarness(t)
	own := bot.Phone("+18335550100")
	ann := announce(t, h.db, own, "BULK", 40, dispT0)
	s := &logSender{}
	d := fairDispatcher(h, s, 20) // claims 2 at a time
	var reply uint64
	s.before = func(n int, _ bot.OutMessage) {
		if n == 3 {
			m := &bot.OutMessage{To: phone(77), From: own, Body: "reply", Kind: bot.KindReply, CreatedAt: h.clock.Now()}
			if err := h.db.Update(func(tx bot.Tx) error { return tx.Enqueue(m) }); err != nil {
				t.Error(err)
			}
			reply = m.ID
			d.Kick()
		}
	}
	h.drain(d)
	log := s.log()
	at := slices.IndexFunc(log, func(m bot.OutMessage) bool { return m.ID == reply })
	if len(positions(log, ann)) != 40 || at < 0 || at > 5 {
		t.Fatalf("reply sent at %d of %d, want within the next batch after it was queued (send 3)", at, len(log))
	}
}

// A restart in the middle of the fairness case keeps the turns (they are
// stored with the queue): what was in flight is unknown and never resent,
// nothing goes twice, and the small announcement still goes before the big
// one ends.
func TestDispatchTurnsSurviveARestart(t *testing.T) {
	h := newDispHarness(t)
	big := announce(t, h.db, "", "BIG", 300, dispT0)
	small := announce(t, h.db, "", "SMALL", 10, dispT0)
	s := &logSender{}
	d := fairDispatcher(h, s, 50)
	ctx, cancel := context.WithCancel(context.Background())
	s.before = func(n int, _ bot.OutMessage) {
		if n == 6 {
			cancel() // the process stops: what it claimed and did not send goes back
		}
	}
	if err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
	first := len(s.log())
	if _, _, err := h.outbox().Claim(h.clock.Now(), 3, nil); err != nil { // then one dies mid-send
		t.Fatal(err)
	}
	h.db.Close()
	h.open()
	s.before = nil
	h.drain(fairDispatcher(h, s, 50))
	log := s.log()
	seen := map[bot.Phone]bool{}
	for _, m := range log {
		if seen[m.To] {
			t.Fatalf("%s sent twice", m.To)
		}
		seen[m.To] = true
	}
	if n := len(log); n != 310-3 {
		t.Errorf("%d sent in all (%d before the stop), want 307: 3 were in flight and are unknown", n, first)
	}
	at := positions(log, small)
	if len(at) != 10-countIn(h, small, bot.StatusUnknown) || at[len(at)-1] > 40 {
		t.Errorf("small announcement sent at %v, want all within the first 40 sends", at)
	}
	if countIn(h, big, bot.StatusUnknown)+countIn(h, small, bot.StatusUnknown) != 3 {
		t.Errorf("want the 3 in flight unknown")
	}
}

// countIn counts announcement ann's rows with status st.
func countIn(h *dispHarness, ann uint64, st bot.MessageStatus) int {
	h.t.Helper()
	n := 0
	err := h.db.View(func(tx bot.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				return err
			}
			if m.AnnouncementID == ann && m.Status == st {
				n++
			}
		}
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}
