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
