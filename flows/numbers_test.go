package flows

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/locales"
)

// Directives of clients' own numbers (§11):
//
//	! plannumber local                   every plan includes a local (or toll-free) number
//	! number +15550009999 +15550100001 [state] [kind]
//	                                     the client's own number, as a provider left it
//	                                     (state ready and kind local unless given; nobody is told)
//	! ready +15550009999                 the number becomes ready as the provider says so
func init() {
	directives["plannumber"] = directivePlanNumber
	directives["number"] = directiveNumber
	directives["ready"] = directiveReady
	harnessSetup = append(harnessSetup, func(h *harness) { h.brain.DevNumbers = true })
}

func directivePlanNumber(h *harness, args string) error {
	kind := bot.NumberKind(strings.TrimSpace(args))
	return h.db.Update(func(tx bot.Tx) error {
		ps, err := tx.Plans()
		if err != nil {
			return err
		}
		for i := range ps {
			ps[i].Number = kind
			if err := tx.PutPlan(&ps[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func directiveNumber(h *harness, args string) error {
	f := strings.Fields(args)
	if len(f) < 2 {
		return fmt.Errorf("want CLIENT NUMBER [state] [kind]")
	}
	n := bot.OwnNumber{Phone: bot.MustPhone(f[1]), Kind: bot.NumberLocal, State: bot.NumberReady, Since: h.clock.Now()}
	if len(f) > 2 {
		n.State = bot.NumberState(f[2])
	}
	if len(f) > 3 {
		n.Kind = bot.NumberKind(f[3])
	}
	if n.State == bot.NumberRejected {
		n.Reason = "opt-in evidence does not show the business name"
	}
	return h.db.Update(func(tx bot.Tx) error {
		c, err := tx.Client(bot.MustPhone(f[0]))
		if err != nil || c == nil {
			return fmt.Errorf("client %s: %v", f[0], err)
		}
		c.Own = &n
		return tx.PutClient(c)
	})
}

func directiveReady(h *harness, args string) error {
	return h.db.Update(func(tx bot.Tx) error {
		c, err := tx.Client(bot.MustPhone(strings.TrimSpace(args)))
		if err != nil || c == nil {
			return fmt.Errorf("client %s: %v", args, err)
		}
		return bot.ReadyNumber(tx, h.engine.T, c, h.clock.Now())
	})
}

// A client with its own number has room for the line naming the business
// in each subscriber's first message from it: a draft that fits without
// the line but not with it is refused.
func TestDraftLimitCountsTheNumberLine(t *testing.T) {
	h := newHarness(t)
	h.run("! client +15550009999 YOGA Sunrise Yoga\n! number +15550009999 +15550100001")
	tr := locales.MustLoad()
	over := longestDelivered(tr, "Sunrise Yoga", "a", false) - 1
	text := strings.Repeat("a", MaxDelivered-over) // fits without the line
	r, err := h.engine.Handle(context.Background(), bot.Inbound{SID: "SMlong", From: "+15550009999", To: "+15550000000", Body: text})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "characters") || strings.HasPrefix(r.Text, "Draft:") {
		t.Errorf("a draft with no room for the number line: %q", r.Text)
	}
}
