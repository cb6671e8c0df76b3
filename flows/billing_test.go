package flows

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"nudges/bot"
)

// Dialogue directives for the console's suspension (the console does the
// same to the client record):
//
//	! suspend +15550004444     Status suspended, ResumeStatus the status it had
//	! resume +15550004444      Status back to ResumeStatus
func init() {
	directives["suspend"] = func(h *harness, args string) error {
		return changeClient(h, args, func(c *bot.Client) {
			c.ResumeStatus, c.Status = c.Status, bot.ClientSuspended
		})
	}
	directives["resume"] = func(h *harness, args string) error {
		return changeClient(h, args, func(c *bot.Client) {
			c.Status, c.ResumeStatus = c.ResumeStatus, ""
		})
	}
}

func changeClient(h *harness, phone string, change func(*bot.Client)) error {
	return h.db.Update(func(tx bot.Tx) error {
		c, err := tx.Client(bot.MustPhone(strings.TrimSpace(phone)))
		if err != nil || c == nil {
			return fmt.Errorf("client %s: %v", phone, err)
		}
		change(c)
		return tx.PutClient(c)
	})
}

func TestNextStatus(t *testing.T) {
	for _, c := range []struct{ cur, ev, want bot.ClientStatus }{
		{bot.ClientPending, bot.ClientActive, bot.ClientActive},
		{bot.ClientPending, bot.ClientPastDue, bot.ClientPending}, // a failed first payment does not pause what never ran
		{bot.ClientActive, bot.ClientPastDue, bot.ClientPastDue},
		{bot.ClientPastDue, bot.ClientActive, bot.ClientActive},
		{bot.ClientActive, bot.ClientPending, bot.ClientActive}, // nothing goes back to pending
		{bot.ClientActive, bot.ClientCanceled, bot.ClientCanceled},
		{bot.ClientCanceled, bot.ClientActive, bot.ClientActive},
		{bot.ClientActive, bot.ClientSuspended, bot.ClientActive}, // suspension is the operator's, never an event's
		{bot.ClientActive, "", bot.ClientActive},
	} {
		if got := nextStatus(c.cur, c.ev); got != c.want {
			t.Errorf("nextStatus(%s, %s) = %s, want %s", c.cur, c.ev, got, c.want)
		}
	}
}

func TestTellOn(t *testing.T) {
	for _, c := range []struct {
		before, after bot.ClientStatus
		want          string
	}{
		{bot.ClientPending, bot.ClientActive, "BillingLive"},
		{bot.ClientCanceled, bot.ClientActive, "BillingLive"},
		{bot.ClientPastDue, bot.ClientActive, "BillingRestored"},
		{bot.ClientActive, bot.ClientPastDue, "BillingPastDue"},
		{bot.ClientPastDue, bot.ClientCanceled, "BillingCanceled"},
		{bot.ClientPending, bot.ClientCanceled, ""},
		{bot.ClientActive, bot.ClientActive, ""},
	} {
		if got := tellOn(c.before, c.after); got != c.want {
			t.Errorf("tellOn(%s, %s) = %q, want %q", c.before, c.after, got, c.want)
		}
	}
}

func TestConcernsOnlyTheClientsSubscription(t *testing.T) {
	live := &bot.Client{Status: bot.ClientActive, SubscriptionID: "sub_1"}
	over := &bot.Client{Status: bot.ClientCanceled, SubscriptionID: "sub_1"}
	for _, c := range []struct {
		c    *bot.Client
		ev   bot.BillingEvent
		want bool
	}{
		{live, bot.BillingEvent{Type: bot.EventInvoicePaid, SubscriptionID: "sub_1", Status: bot.ClientActive}, true},
		{live, bot.BillingEvent{Type: bot.EventSubscriptionDeleted, SubscriptionID: "sub_0", Status: bot.ClientCanceled}, false},
		{live, bot.BillingEvent{Type: bot.EventInvoicePaid, SubscriptionID: "sub_2", Status: bot.ClientActive}, false},
		{over, bot.BillingEvent{Type: bot.EventInvoicePaid, SubscriptionID: "sub_2", Status: bot.ClientActive}, true},
		{over, bot.BillingEvent{Type: bot.EventInvoiceFailed, SubscriptionID: "sub_2", Status: bot.ClientPastDue}, false},
		{live, bot.BillingEvent{Type: bot.EventCheckoutCompleted, SubscriptionID: "sub_2", Status: bot.ClientActive}, true},
	} {
		if got := concerns(c.c, c.ev); got != c.want {
			t.Errorf("concerns(%s %s, %s %s) = %v", c.c.Status, c.c.SubscriptionID, c.ev.Type, c.ev.SubscriptionID, got)
		}
	}
}

// A client suspended by the operator stays suspended whatever Stripe says;
// what Stripe says meanwhile is what a resume gives back.
func TestSuspendedClientFollowsBillingInResumeStatus(t *testing.T) {
	h := newHarness(t)
	if err := EnsureDefaultPlan(h.db, Start); err != nil {
		t.Fatal(err)
	}
	const p = bot.Phone("+15550004444")
	for _, line := range []string{
		"client " + string(p) + " COFFEE Joe's Coffee",
		"billing checkout.session.completed " + string(p) + " status=active sub=sub_2 at=1",
		"suspend " + string(p),
	} {
		name, args, _ := strings.Cut(line, " ")
		if err := directives[name](h, args); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	ctx := context.Background()
	b := testBilling(h)
	get := func() *bot.Client {
		t.Helper()
		var c *bot.Client
		if err := h.db.View(func(tx bot.Tx) error { var err error; c, err = tx.Client(p); return err }); err != nil {
			t.Fatal(err)
		}
		return c
	}
	created := Start.Unix() + 10
	for i, c := range []struct {
		ev                 bot.BillingEvent
		resume             bot.ClientStatus
		periodEndAfterDays int
	}{
		{bot.BillingEvent{Type: bot.EventInvoiceFailed, Status: bot.ClientPastDue}, bot.ClientPastDue, 0},
		{bot.BillingEvent{Type: bot.EventInvoicePaid, Status: bot.ClientActive,
			PeriodStart: Start.AddDate(0, 1, 0), PeriodEnd: Start.AddDate(0, 2, 0)}, bot.ClientActive, 58},
		{bot.BillingEvent{Type: bot.EventSubscriptionDeleted, Status: bot.ClientCanceled}, bot.ClientCanceled, 0},
	} {
		c.ev.ID, c.ev.ClientPhone, c.ev.SubscriptionID, c.ev.Created = fmt.Sprintf("evt_s%d", i), p, "sub_2", created+int64(i)
		if err := b.Apply(ctx, c.ev); err != nil {
			t.Fatal(err)
		}
		got := get()
		if got.Status != bot.ClientSuspended || got.ResumeStatus != c.resume || got.CanBroadcast() {
			t.Fatalf("after %s: status %s, resume %s; want suspended, %s", c.ev.Type, got.Status, got.ResumeStatus, c.resume)
		}
		if c.periodEndAfterDays > 0 && !got.PeriodEnd.After(Start.AddDate(0, 0, c.periodEndAfterDays)) {
			t.Fatalf("after %s: period end %v not moved", c.ev.Type, got.PeriodEnd)
		}
	}
}
