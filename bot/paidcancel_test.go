package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// stubCanceller records CancelPaid calls and fails while fail is set.
type stubCanceller struct {
	calls []string
	fail  error
}

func (s *stubCanceller) CancelPaid(_ context.Context, sub, account string) error {
	s.calls = append(s.calls, sub+"@"+account)
	return s.fail
}

var paidNow = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// paidMember opens a store with COFFEE (paid to acct_1) and +15550001111
// paying for it by sub_1 until a month from paidNow.
func paidMember(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx bot.Tx) error {
		c := &bot.Client{Phone: "+15550004444", Name: "Joe's Coffee", Keyword: "COFFEE", Status: bot.ClientActive}
		c.Payouts.Account, c.Payouts.ChargesEnabled, c.Payouts.Price = "acct_1", true, 500
		if err := tx.PutClient(c); err != nil {
			return err
		}
		_, err := tx.AddSubscription(bot.Subscription{Keyword: "COFFEE", Phone: "+15550001111", JoinedAt: paidNow,
			Paid: "sub_1", PaidUntil: paidNow.AddDate(0, 1, 0)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// askCancel runs AskPaidCancel on the member's subscription as LEAVE does.
func askCancel(t *testing.T, db *store.DB, now time.Time) time.Time {
	t.Helper()
	var until time.Time
	err := db.Update(func(tx bot.Tx) error {
		subs, err := tx.SubscriptionsOf("+15550001111")
		if err != nil || len(subs) != 1 {
			return errors.Join(err, errors.New("not a member"))
		}
		if until, err = bot.AskPaidCancel(tx, &subs[0], now); err != nil {
			return err
		}
		return tx.PutSubscription(subs[0])
	})
	if err != nil {
		t.Fatal(err)
	}
	return until
}

func pendingCancels(t *testing.T, db *store.DB) []bot.PaidCancel {
	t.Helper()
	var out []bot.PaidCancel
	err := db.View(func(tx bot.Tx) error {
		var err error
		out, err = tx.PaidCancelsDue(paidNow.AddDate(1, 0, 0), 100)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Asking twice queues one call; it ends at the end of the paid period; the
// worker retries a failure after Backoff, not before, and drops the record
// once the provider answered.
func TestPaidCancelerRetriesThenDrops(t *testing.T) {
	db := paidMember(t)
	if until := askCancel(t, db, paidNow); !until.Equal(paidNow.AddDate(0, 1, 0)) {
		t.Fatalf("ends %v", until)
	}
	askCancel(t, db, paidNow.Add(time.Hour))
	if p := pendingCancels(t, db); len(p) != 1 || p[0].Sub != "sub_1" || p[0].Account != "acct_1" {
		t.Fatalf("pending %+v", p)
	}
	clock := bot.NewFixedClock(paidNow)
	prov := &stubCanceller{fail: errors.New("stripe down")}
	w := bot.NewPaidCanceler(db, prov, clock)
	ctx := context.Background()
	if err := w.Pass(ctx); err != nil || len(prov.calls) != 1 {
		t.Fatalf("pass: %v, calls %v", err, prov.calls)
	}
	if err := w.Pass(ctx); err != nil || len(prov.calls) != 1 {
		t.Fatalf("retried before its backoff: %v, calls %v", err, prov.calls)
	}
	prov.fail = nil
	clock.Advance(bot.Backoff(1))
	if err := w.Pass(ctx); err != nil || len(prov.calls) != 2 || prov.calls[1] != "sub_1@acct_1" {
		t.Fatalf("retry: %v, calls %v", err, prov.calls)
	}
	if p := pendingCancels(t, db); len(p) != 0 {
		t.Fatalf("still pending after success: %+v", p)
	}
	if err := w.Pass(ctx); err != nil || len(prov.calls) != 2 {
		t.Fatalf("called again after success: %v", prov.calls)
	}
	askCancel(t, db, paidNow.Add(2*time.Hour)) // LEAVE again: already cancelled
	if p := pendingCancels(t, db); len(p) != 0 {
		t.Fatalf("queued again: %+v", p)
	}
}

// A process killed after the provider's answer and before the record was
// dropped leaves the record: the next leader (a fresh worker on the same
// store) makes the same, idempotent call again and then drops it.
func TestPaidCancelAfterKill(t *testing.T) {
	db := paidMember(t)
	askCancel(t, db, paidNow)
	ctx, cancel := context.WithCancel(context.Background())
	killed := &killingCanceller{cancel: cancel}
	if err := bot.NewPaidCanceler(db, killed, bot.NewFixedClock(paidNow)).Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if p := pendingCancels(t, db); len(p) != 1 {
		t.Fatalf("a call cut short dropped the record: %+v", p)
	}
	prov := &stubCanceller{}
	if err := bot.NewPaidCanceler(db, prov, bot.NewFixedClock(paidNow)).Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(prov.calls) != 1 || len(pendingCancels(t, db)) != 0 {
		t.Fatalf("calls %v, pending %+v", prov.calls, pendingCancels(t, db))
	}
}

// killingCanceller reaches the provider, then the process stops.
type killingCanceller struct{ cancel func() }

func (k *killingCanceller) CancelPaid(ctx context.Context, _, _ string) error {
	k.cancel()
	return ctx.Err()
}

// A paid list's audience is its paying members until a cancellation's
// end; a free list's is everyone, paying members too; the store counts
// paid rows as they come and go.
func TestPaidAudienceAndCount(t *testing.T) {
	c := &bot.Client{Keyword: "COFFEE"}
	c.Payouts.Price = 500
	free := bot.Subscription{Keyword: "COFFEE", Phone: "+15550002222"}
	payer := bot.Subscription{Keyword: "COFFEE", Phone: "+15550001111", Paid: "sub_1"}
	leaving := payer
	leaving.PaidEnds = paidNow
	for _, tc := range []struct {
		s         bot.Subscription
		price     int64
		at        time.Time
		want      bool
		situation string
	}{
		{free, 500, paidNow, false, "free member of a paid list"},
		{payer, 500, paidNow, true, "paying member"},
		{leaving, 500, paidNow.Add(-time.Second), true, "leaving, before the end"},
		{leaving, 500, paidNow, false, "leaving, at the end"},
		{free, 0, paidNow, true, "free list"},
		{payer, 0, paidNow, true, "paying member after PRICE OFF"},
		{leaving, 0, paidNow, false, "left after PRICE OFF"},
	} {
		c.Payouts.Price = tc.price
		if got := bot.Audience(c, tc.s, tc.at); got != tc.want {
			t.Errorf("%s: %v", tc.situation, got)
		}
	}
	db := paidMember(t)
	count := func() int {
		var n int
		if err := db.View(func(tx bot.Tx) error { var err error; n, err = tx.PaidCount("COFFEE"); return err }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("count %d", n)
	}
	err := db.Update(func(tx bot.Tx) error {
		if _, err := tx.AddSubscription(free); err != nil {
			return err
		}
		free.Paid = "sub_2"
		if err := tx.PutSubscription(free); err != nil {
			return err
		}
		_, err := tx.Unsubscribe("COFFEE", "+15550001111")
		return err
	})
	if err != nil || count() != 1 {
		t.Fatalf("after upgrade and removal: %v, %d", err, count())
	}
}

// The API's removal of a paying member cancels its subscription too, so
// that a phone off the list is not charged for it.
func TestRemoveSubscriberCancelsPaid(t *testing.T) {
	db := paidMember(t)
	if err := bot.RemoveSubscriber(db, paidNow, "COFFEE", "+15550001111", "key_1"); err != nil {
		t.Fatal(err)
	}
	if p := pendingCancels(t, db); len(p) != 1 || p[0].Sub != "sub_1" {
		t.Fatalf("pending %+v", p)
	}
}

// Before an erase, a paying member's subscriptions are queued for
// cancellation with no phone in the record; a client's phone is not.
func TestCancelPaidBeforeErase(t *testing.T) {
	db := paidMember(t)
	err := db.Update(func(tx bot.Tx) error {
		if _, err := tx.AddSubscription(bot.Subscription{Keyword: "COFFEE", Phone: "+15550004444", Paid: "sub_c"}); err != nil {
			return err
		}
		if err := bot.CancelPaidBeforeErase(tx, "+15550004444", paidNow); err != nil { // the client, paying too
			return err
		}
		return bot.CancelPaidBeforeErase(tx, "+15550001111", paidNow)
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := pendingCancels(t, db); len(p) != 1 || p[0].Sub != "sub_1" || p[0].Phone != "" {
		t.Fatalf("pending %+v", p)
	}
}

// A membership cancelled by LEAVE is taken off its list PaidEndGrace after
// its paid time ends (dev mode, or Stripe's deletion lost), not before;
// one paid again meanwhile stays; the index follows the rows.
func TestPaidCancelerSweepsEndedMemberships(t *testing.T) {
	db := paidMember(t)
	askCancel(t, db, paidNow) // ends a month on
	err := db.Update(func(tx bot.Tx) error {
		s := bot.Subscription{Keyword: "COFFEE", Phone: "+15550002222", Paid: "sub_2", PaidEnds: paidNow.Add(time.Hour)}
		if _, err := tx.AddSubscription(s); err != nil {
			return err
		}
		s.PaidEnds = time.Time{} // paid again: no end any more
		s.Paid = "sub_2b"
		return tx.PutSubscription(s)
	})
	if err != nil {
		t.Fatal(err)
	}
	clock := bot.NewFixedClock(paidNow.AddDate(0, 1, 0).Add(bot.PaidEndGrace - time.Minute))
	w := bot.NewPaidCanceler(db, nil, clock)
	members := func() int {
		var n int
		db.View(func(tx bot.Tx) error {
			return tx.EachSubscriber("COFFEE", func(bot.Subscription) error { n++; return nil })
		})
		return n
	}
	if err := w.Pass(context.Background()); err != nil || members() != 2 {
		t.Fatalf("before the grace: %v, %d members", err, members())
	}
	clock.Advance(2 * time.Minute)
	if err := w.Pass(context.Background()); err != nil || members() != 1 {
		t.Fatalf("after the grace: %v, %d members", err, members())
	}
	var left []bot.Subscription
	var count int
	db.View(func(tx bot.Tx) error {
		left, _ = tx.PaidEndedBefore(paidNow.AddDate(1, 0, 0), 10)
		count, _ = tx.PaidCount("COFFEE")
		return nil
	})
	if len(left) != 0 || count != 1 {
		t.Fatalf("index %+v, paid count %d", left, count)
	}
}
