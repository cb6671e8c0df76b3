package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"

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
