package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

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
	harnessSetup = append(harnessSetup, func(h *harness) { h.brain.PlatformFee = 10 })
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

// PRICE amounts read into minor units of the plan's currency, within
// bounds; a zero-decimal currency takes no decimals.
func TestPriceMinor(t *testing.T) {
	for _, c := range []struct {
		arg, cur string
		want     int64
		ok       bool
	}{
		{"5", "usd", 500, true}, {"4.99", "usd", 499, true}, {"$4.9", "usd", 490, true}, {"€5,50", "eur", 550, true},
		{"1", "usd", 100, true}, {"1000", "usd", 100000, true}, {"0.99", "usd", 99, false}, {"1000.01", "usd", 100001, false},
		{"500", "jpy", 500, true}, {"500.5", "jpy", 0, false}, {"99", "jpy", 99, false}, {"9999999", "usd", 999999900, false},
	} {
		got, ok := priceMinor(c.arg, c.cur)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("%s %s: %d %v, want %d %v", c.arg, c.cur, got, ok, c.want, c.ok)
		}
	}
	for s, want := range map[string]bool{"5": true, "OFF": true, "$4.99": true, "5 DOLLARS": false, "DROP": false, "1.999": false, "": false} {
		if priceShape(s) != want {
			t.Errorf("priceShape(%q) = %v", s, !want)
		}
	}
}
