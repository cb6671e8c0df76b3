package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

// counter is a Brain that counts turns in the conversation and replies with
// the count; it fails when the body is "fail".
type counter struct{ calls atomic.Int64 }

func (c *counter) Turn(t *bot.Turn) error {
	c.calls.Add(1)
	if t.In.Body == "fail" {
		t.Conv.SetVar("n", "garbage that must not be committed")
		return errors.New("boom")
	}
	n, _ := strconv.Atoi(t.Conv.Var("n"))
	t.Conv.SetVar("n", strconv.Itoa(n+1))
	t.Replies = append(t.Replies, fmt.Sprintf("turn %d", n+1))
	return nil
}

func newEngine(t *testing.T, brain bot.Brain) (*bot.Engine, *store.DB) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &bot.Engine{Store: db, Brain: brain, Clock: bot.NewFixedClock(time.Unix(1e9, 0)),
		T: locales.MustLoad(), DefaultLocale: bot.English}, db
}

func count(t *testing.T, db *store.DB, p bot.Phone) int {
	t.Helper()
	var n int
	db.View(func(tx bot.Tx) error {
		c, err := tx.Conversation(p)
		n, _ = strconv.Atoi(c.Var("n"))
		return err
	})
	return n
}

func TestEngineSerializesTurnsPerPhone(t *testing.T) {
	e, db := newEngine(t, &counter{})
	phones := []bot.Phone{"+15550000001", "+15550000002", "+15550000003"}
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := bot.Inbound{SID: fmt.Sprintf("SM%d", i), From: phones[i%3], Body: "hi"}
			if _, err := e.Handle(context.Background(), in); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, p := range phones {
		if n := count(t, db, p); n != 20 {
			t.Errorf("%s: %d turns recorded, want 20 (a lost update)", p, n)
		}
	}
}

func TestEngineReplaysSameSIDWithoutRunning(t *testing.T) {
	brain := &counter{}
	e, db := newEngine(t, brain)
	in := bot.Inbound{SID: "SMsame", From: "+15550000001", Body: "hi"}
	for range 6 {
		r, err := e.Handle(context.Background(), in)
		if err != nil || r.Text != "turn 1" {
			t.Fatalf("reply %q, %v; want the first reply every time", r.Text, err)
		}
	}
	if brain.calls.Load() != 1 || count(t, db, in.From) != 1 {
		t.Fatalf("brain ran %d times, state %d; want once", brain.calls.Load(), count(t, db, in.From))
	}
}

// inTurn is a store that checks replays in the turn only (as on etcd),
// counting its read transactions.
type inTurn struct {
	*store.DB
	views atomic.Int64
}

func (s *inTurn) ReplaysInTurn() bool { return true }

func (s *inTurn) View(fn func(bot.Tx) error) error {
	s.views.Add(1)
	return s.DB.View(fn)
}

// A store that checks replays in the turn (etcd) gets no read transaction
// before it, and a retried MessageSid still gets its first reply without
// running again; a text with a picture is checked before (the turn would
// fetch the picture again).
func TestEngineReplaysInTurn(t *testing.T) {
	brain := &counter{}
	e, db := newEngine(t, brain)
	s := &inTurn{DB: db}
	e.Store = s
	in := bot.Inbound{SID: "SMsame", From: "+15550000001", Body: "hi"}
	for range 4 {
		if r, err := e.Handle(context.Background(), in); err != nil || r.Text != "turn 1" {
			t.Fatalf("reply %q, %v; want the first reply every time", r.Text, err)
		}
	}
	if brain.calls.Load() != 1 || count(t, db, in.From) != 1 {
		t.Fatalf("brain ran %d times, state %d; want once", brain.calls.Load(), count(t, db, in.From))
	}
	if n := s.views.Load(); n != 0 {
		t.Errorf("%d read transactions before the turns, want none", n)
	}
	in.NumMedia, in.MediaURL = 1, "https://api.twilio.com/m/1"
	if r, err := e.Handle(context.Background(), in); err != nil || r.Text != "turn 1" {
		t.Fatalf("with a picture: reply %q, %v", r.Text, err)
	}
	if n := s.views.Load(); n != 1 {
		t.Errorf("with a picture: %d read transactions, want the replay check", n)
	}
}

func TestEngineBrainErrorCommitsNothing(t *testing.T) {
	brain := &counter{}
	e, db := newEngine(t, brain)
	p := bot.Phone("+15550000001")
	if _, err := e.Handle(context.Background(), bot.Inbound{SID: "SM1", From: p, Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	r, err := e.Handle(context.Background(), bot.Inbound{SID: "SM2", From: p, Body: "fail"})
	if err != nil || r.Text == "" || r.Text == "turn 2" {
		t.Fatalf("got %q, %v; want the localized something-went-wrong reply", r.Text, err)
	}
	if n := count(t, db, p); n != 1 {
		t.Fatalf("state %d after a failed turn, want 1 (rolled back)", n)
	}
	// Not remembered as handled: a retry of the same SID runs again. (A
	// failed batch is re-run alone by bbolt, so count growth, not totals.)
	before := brain.calls.Load()
	e.Handle(context.Background(), bot.Inbound{SID: "SM2", From: p, Body: "fail"})
	if brain.calls.Load() == before {
		t.Fatal("a retried SID whose turn failed must run again")
	}
}

func TestEngineStorageErrorIsReturned(t *testing.T) {
	e, db := newEngine(t, &counter{})
	db.Close()
	_, err := e.Handle(context.Background(), bot.Inbound{SID: "SM1", From: "+15550000001", Body: "hi"})
	if err == nil {
		t.Fatal("a closed database must fail the turn so the webhook answers 5xx")
	}
}

func TestTextSkipsOptedOut(t *testing.T) {
	_, db := newEngine(t, &counter{})
	now := time.Unix(1e9, 0)
	err := db.Update(func(tx bot.Tx) error {
		if err := tx.PutConversation(&bot.Conversation{Phone: "+15550000002", OptedOut: true}); err != nil {
			return err
		}
		hello := func(string) string { return "hello" }
		for to, want := range map[bot.Phone]bool{"+15550000002": false, "+15550000003": true} {
			ok, err := bot.Text(tx, now, bot.Note{To: to, Kind: bot.KindReply, Priority: bot.PriorityHigh, Body: hello})
			if err != nil {
				return err
			}
			if ok != want {
				t.Errorf("Text to %s queued %v, want %v (opted-out phone skipped)", to, ok, want)
			}
		}
		m, err := tx.OutMessage(1)
		if err != nil || m == nil || m.To != "+15550000003" || m.Status != bot.StatusQueued {
			t.Errorf("outbox row 1 = %+v, %v", m, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A phone that has texted for real cannot be driven by the simulator: the
// turn is refused and nothing about the phone changes.
func TestEngineRefusesSimulatingARealPhone(t *testing.T) {
	e, db := newEngine(t, &counter{})
	p := bot.Phone("+15550000001")
	if _, err := e.Handle(context.Background(), bot.Inbound{SID: "SM1", From: p, Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.Handle(context.Background(), bot.Inbound{From: p, Body: "hi", Simulated: true})
	if bot.ErrorCode(err) != bot.EINVALID || !strings.Contains(bot.ErrorMessage(err), "made-up") {
		t.Fatalf("simulating a real phone: %v; want EINVALID naming a made-up number", err)
	}
	db.View(func(tx bot.Tx) error {
		c, _ := tx.Conversation(p)
		if c.Simulated || c.Var("n") != "1" {
			t.Errorf("conversation changed by a refused simulation: %+v", c)
		}
		return nil
	})
	// A fresh phone can be simulated, and stays simulated.
	if _, err := e.Handle(context.Background(), bot.Inbound{From: "+15550000002", Body: "hi", Simulated: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Handle(context.Background(), bot.Inbound{From: "+15550000002", Body: "hi", Simulated: true}); err != nil {
		t.Fatalf("second simulated text: %v", err)
	}
}

// Whatever a simulated phone's turn queues is captured, even to a real phone.
func TestTextFromSimulatedCauseIsCaptured(t *testing.T) {
	_, db := newEngine(t, &counter{})
	err := db.Update(func(tx bot.Tx) error {
		if err := tx.PutConversation(&bot.Conversation{Phone: "+15550000002", FirstSeen: time.Unix(1e9, 0)}); err != nil {
			return err
		}
		_, err := bot.Text(tx, time.Unix(1e9, 0), bot.Note{To: "+15550000002", Kind: bot.KindReply,
			Priority: bot.PriorityHigh, Simulated: true, Body: func(string) string { return "hello" }})
		if err != nil {
			return err
		}
		m, err := tx.OutMessage(1)
		if err != nil || m == nil || !m.Simulated {
			t.Errorf("message from a simulated sender to a real phone: %+v, %v; want Simulated", m, err)
		}
		real, _ := tx.Conversation("+15550000002")
		if real.Simulated {
			t.Error("the real recipient's conversation was marked simulated")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
