package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"nudges/bot"
)

// Directive of the paid list dialogues:
//
//	! paidcheckout COFFEE +15550001111 sub_1 [evt=ID] [at=N] [unpaid]
//	    checkout.session.completed of a paid list's subscription (metadata
//	    list and phone); evt names the event (a replay reuses it), at is
//	    seconds after the clock, unpaid an async payment still pending
func init() {
	directives["paidcheckout"] = directivePaidCheckout
}

func directivePaidCheckout(h *harness, args string) error {
	f := strings.Fields(args)
	if len(f) < 3 {
		return fmt.Errorf("want KEYWORD PHONE SUBSCRIPTION [evt=ID] [at=N] [unpaid]")
	}
	eventSeq++
	ev := bot.BillingEvent{
		ID: fmt.Sprintf("evt_test_%d", eventSeq), Type: bot.EventCheckoutCompleted, Created: h.clock.Now().Unix(),
		List: f[0], Member: bot.MustPhone(f[1]), SubscriptionID: f[2], CheckoutID: "cs_" + f[2], Status: bot.ClientActive,
	}
	for _, kv := range f[3:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "evt":
			ev.ID = v
		case "at":
			s, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("bad %q", kv)
			}
			ev.Created += int64(s)
		case "unpaid":
			ev.Status = ""
		default:
			return fmt.Errorf("bad %q", kv)
		}
	}
	return testBilling(h).Apply(context.Background(), ev)
}

// Directive of the paid list dialogues:
//
//	! paidevent TYPE KEYWORD PHONE SUB [evt=ID] [at=N] [status=S] [invoice=ID] [amount=N] [customer=ID] [days=N]
//	    an event of a paid list's subscription SUB paid by PHONE: TYPE is
//	    checkout, updated, deleted, paid (invoice.paid) or failed
//	    (invoice.payment_failed); status the subscription's own status,
//	    days the period end after the clock
func init() {
	directives["paidevent"] = directivePaidEvent
}

var paidTypes = map[string]string{
	"checkout": bot.EventCheckoutCompleted, "updated": bot.EventSubscriptionUpdated, "deleted": bot.EventSubscriptionDeleted,
	"paid": bot.EventInvoicePaid, "failed": bot.EventInvoiceFailed,
}

func directivePaidEvent(h *harness, args string) error {
	f := strings.Fields(args)
	if len(f) < 4 || paidTypes[f[0]] == "" {
		return fmt.Errorf("want TYPE KEYWORD PHONE SUB [k=v…]")
	}
	eventSeq++
	now := h.clock.Now()
	ev := bot.BillingEvent{
		ID: fmt.Sprintf("evt_test_%d", eventSeq), Type: paidTypes[f[0]], Created: now.Unix(),
		List: f[1], Member: bot.MustPhone(f[2]), SubscriptionID: f[3], CheckoutID: "cs_" + f[3], Status: bot.ClientActive,
	}
	for _, kv := range f[4:] {
		k, v, _ := strings.Cut(kv, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "evt":
			ev.ID = v
		case "at":
			ev.Created += int64(n)
		case "status":
			ev.SubStatus = v
		case "invoice":
			ev.InvoiceID = v
		case "amount":
			ev.Amount = int64(n)
		case "customer":
			ev.CustomerID = v
		case "days":
			ev.PeriodStart, ev.PeriodEnd = now, now.AddDate(0, 0, n)
		default:
			return fmt.Errorf("bad %q", kv)
		}
	}
	return testBilling(h).Apply(context.Background(), ev)
}

// pendingCancels is the subscriptions whose cancellation is queued.
func pendingCancels(t *testing.T, h *harness) []string {
	t.Helper()
	var subs []string
	err := h.db.View(func(tx bot.Tx) error {
		due, err := tx.PaidCancelsDue(h.clock.Now().AddDate(1, 0, 0), 100)
		for _, d := range due {
			subs = append(subs, d.Sub+"@"+d.Account)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return subs
}

// LEAVE and STOP queue the provider's cancellation (once each), never
// inside the turn; LEAVE keeps the member until the period ends, STOP
// removes it; the deletion that follows drops what is still queued.
func TestLeaveAndStopQueueCancellation(t *testing.T) {
	h := newHarness(t)
	h.run(`! defaultplan
! client +15550004444 COFFEE Joe's Coffee
! account +15550004444 acct_1
! accountupdated +15550004444 acct_1 true
! paidevent checkout COFFEE +15550001111 sub_1
! paidevent checkout COFFEE +15550002222 sub_2
`)
	h.text("+15550001111", "LEAVE")
	h.text("+15550001111", "LEAVE COFFEE")
	if got := pendingCancels(t, h); len(got) != 1 || got[0] != "sub_1@acct_1" {
		t.Fatalf("after LEAVE: %v", got)
	}
	if l := h.listsOf(t, "+15550001111"); !strings.Contains(l, "COFFEE") {
		t.Fatalf("left before the period ended: %q", l)
	}
	h.text("+15550002222", "STOP")
	if got := pendingCancels(t, h); len(got) != 2 || got[1] != "sub_2@acct_1" {
		t.Fatalf("after STOP: %v", got)
	}
	if l := h.listsOf(t, "+15550002222"); strings.Contains(l, "COFFEE") {
		t.Fatalf("still on after STOP: %q", l)
	}
	h.run("! paidevent deleted COFFEE +15550001111 sub_1\n")
	if got := pendingCancels(t, h); len(got) != 1 || got[0] != "sub_2@acct_1" {
		t.Fatalf("after deleted: %v", got)
	}
}

// Through a client's own number too: LEAVE and STOP there queue the
// cancellation.
func TestOwnNumberLeaveAndStopQueueCancellation(t *testing.T) {
	h := newHarness(t)
	h.run(`! defaultplan
! client +15550009999 YOGA Sunrise Yoga
! number +15550009999 +15550100001
! account +15550009999 acct_1
! accountupdated +15550009999 acct_1 true
! paidevent checkout YOGA +15550001111 sub_1
! paidevent checkout YOGA +15550002222 sub_2
>@+15550100001 +15550001111 LEAVE
>@+15550100001 +15550002222 STOP
`)
	if got := pendingCancels(t, h); len(got) != 2 || got[0] != "sub_1@acct_1" || got[1] != "sub_2@acct_1" {
		t.Fatalf("pending %v", got)
	}
	if l := h.listsOf(t, "+15550002222"); l != "" {
		t.Fatalf("still on %q after STOP", l)
	}
}
