package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// stubNumbers is a NumberProvider that records calls and answers as told.
type stubNumbers struct {
	mu         sync.Mutex
	fail       error
	state      bot.NumberState
	reason     string
	provisions int
	polls      int
	releases   []bot.Phone
}

func (s *stubNumbers) Provision(_ context.Context, c bot.Client) (bot.OwnNumber, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.provisions++
	if s.fail != nil {
		return *c.Own, s.fail
	}
	n := *c.Own
	n.Phone, n.PhoneSID, n.ServiceSID, n.State = "+18335550100", "PN1", "MG1", bot.NumberVerifying
	return n, nil
}

func (s *stubNumbers) Verification(context.Context, bot.OwnNumber) (bot.NumberState, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls++
	return s.state, s.reason, s.fail
}

func (s *stubNumbers) Release(_ context.Context, n bot.OwnNumber) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.releases = append(s.releases, n.Phone)
	return s.fail
}

var numNow = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

type numHarness struct {
	db    *store.DB
	clock *bot.FixedClock
	prov  *stubNumbers
	w     *bot.NumberWorker
}

// newNumHarness has one active client on a plan with a kind number.
func newNumHarness(t *testing.T, kind bot.NumberKind) *numHarness {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx bot.Tx) error {
		p := &bot.Plan{Name: "Own", Currency: "usd", Interval: bot.Month, Quota: 5, Active: true, Number: kind}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		return tx.PutClient(&bot.Client{Phone: "+13125550000", Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive, PlanID: p.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &numHarness{db: db, clock: bot.NewFixedClock(numNow), prov: &stubNumbers{state: bot.NumberVerifying}}
	h.w = bot.NewNumberWorker(db, h.prov, h.clock, 720*time.Hour)
	return h
}

func (h *numHarness) pass(t *testing.T) *bot.OwnNumber {
	t.Helper()
	if err := h.w.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := h.w.Pass(context.Background()); err != nil { // what the first pass scheduled
		t.Fatal(err)
	}
	return h.own(t)
}

func (h *numHarness) own(t *testing.T) *bot.OwnNumber {
	t.Helper()
	var c *bot.Client
	if err := h.db.View(func(tx bot.Tx) (err error) { c, err = tx.Client("+13125550000"); return err }); err != nil {
		t.Fatal(err)
	}
	return c.Own
}

func (h *numHarness) setClient(t *testing.T, fn func(c *bot.Client)) {
	t.Helper()
	err := h.db.Update(func(tx bot.Tx) error {
		c, err := tx.Client("+13125550000")
		if err != nil {
			return err
		}
		fn(c)
		return tx.PutClient(c)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNumberWorkerProvisionsAnActiveClientsNumber(t *testing.T) {
	h := newNumHarness(t, bot.NumberLocal)
	own := h.pass(t)
	if own == nil || own.State != bot.NumberVerifying || own.Phone != "+18335550100" || own.Kind != bot.NumberLocal || h.prov.provisions != 1 {
		t.Fatalf("own %+v, provisions %d", own, h.prov.provisions)
	}
	h.pass(t) // a local number waits for the operator: no more calls
	if h.prov.provisions != 1 || h.prov.polls != 0 {
		t.Fatalf("provisions %d polls %d", h.prov.provisions, h.prov.polls)
	}
	var found *bot.Client
	h.db.View(func(tx bot.Tx) (err error) { found, err = tx.ClientByNumber("+18335550100"); return err })
	if found == nil || found.Keyword != "YOGA" {
		t.Fatal("not indexed by its number")
	}
}

func TestNumberWorkerLeavesSharedPlansAlone(t *testing.T) {
	h := newNumHarness(t, bot.NumberShared)
	if own := h.pass(t); own != nil || h.prov.provisions != 0 {
		t.Fatalf("own %+v", own)
	}
}

// Twilio down: each failure waits twice as long as the last, up to the
// cap, and the failure is kept for the console.
func TestNumberWorkerBacksOffOnFailures(t *testing.T) {
	h := newNumHarness(t, bot.NumberLocal)
	h.prov.fail = errors.New("twilio: 503 Service Unavailable")
	own := h.pass(t)
	if own.State != bot.NumberProvisioning || own.Tries != 1 || !own.NextTry.Equal(numNow.Add(time.Minute)) || own.Reason == "" {
		t.Fatalf("after one failure: %+v", own)
	}
	h.pass(t) // not due yet
	if h.prov.provisions != 1 {
		t.Fatalf("retried before its time: %d", h.prov.provisions)
	}
	h.clock.Advance(time.Minute)
	if own = h.pass(t); own.Tries != 2 || !own.NextTry.Equal(h.clock.Now().Add(2*time.Minute)) {
		t.Fatalf("after two failures: %+v", own)
	}
	if got := bot.Backoff(30); got != 6*time.Hour {
		t.Fatalf("cap %v", got)
	}
	h.prov.fail = nil
	h.clock.Advance(2 * time.Minute)
	if own = h.pass(t); own.State != bot.NumberVerifying || own.Tries != 0 || own.Reason != "" || !own.NextTry.IsZero() {
		t.Fatalf("after success: %+v", own)
	}
}

func TestNumberWorkerPollsTollFreeVerification(t *testing.T) {
	for _, tc := range []struct {
		status bot.NumberState
		reason string
	}{{bot.NumberReady, ""}, {bot.NumberRejected, "Website not reachable"}} {
		h := newNumHarness(t, bot.NumberTollFree)
		var readied []bot.Phone
		h.w.Ready = func(tx bot.Tx, c *bot.Client, now time.Time) error {
			readied = append(readied, c.Own.Phone)
			return tx.PutClient(c)
		}
		h.pass(t)
		h.pass(t)
		if h.prov.polls != 0 {
			t.Fatal("polled before the form was submitted")
		}
		h.setClient(t, func(c *bot.Client) { c.Own.VerificationSID = "HH1" })
		if own := h.pass(t); own.State != bot.NumberVerifying || h.prov.polls != 1 {
			t.Fatalf("pending: %+v, polls %d", own, h.prov.polls)
		}
		h.clock.Advance(59 * time.Minute)
		if h.pass(t); h.prov.polls != 1 {
			t.Fatal("polled again within the hour")
		}
		h.clock.Advance(time.Minute)
		h.prov.state, h.prov.reason = tc.status, tc.reason
		own := h.pass(t)
		if own.State != tc.status || own.Reason != tc.reason || h.prov.polls != 2 {
			t.Fatalf("%s: %+v, polls %d", tc.status, own, h.prov.polls)
		}
		if wantReady := tc.status == bot.NumberReady; wantReady != (len(readied) == 1) {
			t.Fatalf("%s: Ready called for %v", tc.status, readied)
		}
	}
}

func TestNumberWorkerAskNowPollsAtOnce(t *testing.T) {
	h := newNumHarness(t, bot.NumberTollFree)
	h.pass(t)
	h.setClient(t, func(c *bot.Client) { c.Own.VerificationSID = "HH1" })
	h.pass(t)
	h.clock.Advance(time.Minute)
	h.setClient(t, func(c *bot.Client) { c.Own.AskNow() })
	if h.pass(t); h.prov.polls != 2 {
		t.Fatalf("polls %d", h.prov.polls)
	}
}

// A canceled client keeps its number for the grace; paying again keeps it
// for good; canceled past the grace, it is released and its list falls
// back to the service number.
func TestNumberWorkerReleasesAfterGrace(t *testing.T) {
	h := newNumHarness(t, bot.NumberLocal)
	h.pass(t)
	h.setClient(t, func(c *bot.Client) { c.Own.State = bot.NumberReady; c.Status = bot.ClientCanceled })
	own := h.pass(t)
	if !own.ReleaseAt.Equal(numNow.Add(720*time.Hour)) || own.State != bot.NumberReady {
		t.Fatalf("canceled: %+v", own)
	}
	h.clock.Advance(100 * time.Hour)
	h.setClient(t, func(c *bot.Client) { c.Status = bot.ClientActive })
	if own = h.pass(t); !own.ReleaseAt.IsZero() {
		t.Fatalf("paid again: %+v", own)
	}
	h.setClient(t, func(c *bot.Client) { c.Status = bot.ClientCanceled })
	h.pass(t)
	h.clock.Advance(720*time.Hour - time.Second)
	if own = h.pass(t); own.State != bot.NumberReady || len(h.prov.releases) != 0 {
		t.Fatalf("released early: %+v", own)
	}
	h.clock.Advance(time.Second)
	own = h.pass(t)
	if own.State != bot.NumberReleased || len(h.prov.releases) != 1 || h.prov.releases[0] != "+18335550100" {
		t.Fatalf("after the grace: %+v, releases %v", own, h.prov.releases)
	}
	var c *bot.Client
	h.db.View(func(tx bot.Tx) (err error) { c, err = tx.Client("+13125550000"); return err })
	if bot.SenderOf(c) != "" {
		t.Fatal("a released number still sends")
	}
	if len(own.History) == 0 {
		t.Fatal("no history")
	}
}
