package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"nudges/bot"
)

// Directives of the payouts dialogues:
//
//	! account +15550004444 acct_1          the client's connected account (its
//	                                       first visit to the connect link)
//	! accountupdated +15550004444 acct_1 true [at=N]   account.updated: charges
//	                                       enabled or not (at: seconds after the clock)
func init() {
	directives["account"] = directiveAccount
	directives["accountupdated"] = directiveAccountUpdated
}

func directiveAccount(h *harness, args string) error {
	f := strings.Fields(args)
	if len(f) != 2 {
		return fmt.Errorf("want PHONE ACCOUNT")
	}
	return h.db.Update(func(tx bot.Tx) error {
		c, err := tx.Client(bot.MustPhone(f[0]))
		if err != nil || c == nil {
			return fmt.Errorf("no client %s: %v", f[0], err)
		}
		c.Payouts.Account = f[1]
		return tx.PutClient(c)
	})
}

func directiveAccountUpdated(h *harness, args string) error {
	f := strings.Fields(args)
	if len(f) < 3 {
		return fmt.Errorf("want PHONE ACCOUNT true|false [at=N]")
	}
	eventSeq++
	ev := bot.BillingEvent{
		ID: fmt.Sprintf("evt_test_%d", eventSeq), Type: bot.EventAccountUpdated, Created: h.clock.Now().Unix(),
		ClientPhone: bot.MustPhone(f[0]), Account: f[1], ChargesEnabled: f[2] == "true",
	}
	for _, kv := range f[3:] {
		k, v, _ := strings.Cut(kv, "=")
		s, err := strconv.Atoi(v)
		if k != "at" || err != nil {
			return fmt.Errorf("bad %q", kv)
		}
		ev.Created += int64(s)
	}
	return testBilling(h).Apply(context.Background(), ev)
}
