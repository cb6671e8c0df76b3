package flows

import (
	"testing"

	"nudges/bot"
)

func TestNextStatus(t *testing.T) {
	for _, c := range []struct{ cur, ev, want bot.ClientStatus }{
		{bot.ClientPending, bot.ClientActive, bot.ClientActive},
		{bot.ClientPending, bot.ClientPastDue, bot.ClientPending}, // a failed first payment does not pause what never ran
		{bot.ClientActive, bot.ClientPastDue, bot.ClientPastDue},
		{bot.ClientPastDue, bot.ClientActive, bot.ClientActive},
		{bot.ClientActive, bot.ClientPending, bot.ClientActive}, // nothing goes back to pending
		{bot.ClientActive, bot.ClientCanceled, bot.ClientCanceled},
		{bot.ClientCanceled, bot.ClientActive, bot.ClientActive},
		{bot.ClientSuspended, bot.ClientActive, bot.ClientSuspended}, // the operator's suspension stays
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
