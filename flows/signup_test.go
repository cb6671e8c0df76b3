package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/locales"
)

// Signup and billing directives for the dialogues:
//
//	! defaultplan                          the plan EnsureDefaultPlan creates
//	! plan Pro 2900 usd month 200          another active plan
//	! pay +15550001111                     the dev checkout completes for that client
//	! billing invoice.paid +15550001111 status=active sub=sub_1 period=30d at=+60
//	                                       any billing event (at: seconds after the clock)
func init() {
	directives["defaultplan"] = func(h *harness, _ string) error {
		return EnsureDefaultPlan(h.db, h.clock.Now())
	}
	directives["plan"] = directivePlan
	directives["pay"] = directivePay
	directives["billing"] = directiveBilling
	harnessSetup = append(harnessSetup, func(h *harness) {
		n := 0
		newPayToken = func() (string, error) {
			n++
			return fmt.Sprintf("paytoken%08d", n), nil
		}
		m := 0
		newBillToken = func() (string, error) {
			m++
			return fmt.Sprintf("bill%d", m), nil
		}
	})
}

func directivePlan(h *harness, args string) error {
	f := strings.Fields(args)
	if len(f) != 5 {
		return fmt.Errorf("want NAME PRICE CURRENCY INTERVAL QUOTA")
	}
	price, err1 := strconv.ParseInt(f[1], 10, 64)
	quota, err2 := strconv.Atoi(f[4])
	if err1 != nil || err2 != nil {
		return fmt.Errorf("bad price or quota")
	}
	p := &bot.Plan{Name: f[0], PriceMinor: price, Currency: f[2], Interval: bot.Interval(f[3]), Quota: quota, Active: true}
	return h.db.Update(func(tx bot.Tx) error { return tx.PutPlan(p) })
}

var eventSeq int

func testBilling(h *harness) *Billing {
	return NewBilling(h.db, h.clock, h.engine.T, nil, h.brain)
}

func directivePay(h *harness, args string) error {
	eventSeq++
	p := bot.MustPhone(strings.TrimSpace(args))
	return testBilling(h).Apply(context.Background(), bot.BillingEvent{
		ID: fmt.Sprintf("evt_test_%d", eventSeq), Type: bot.EventCheckoutCompleted,
		Created: h.clock.Now().Unix(), ClientPhone: p, Status: bot.ClientActive,
		CustomerID: "cus_" + string(p[1:]), SubscriptionID: "sub_" + string(p[1:]),
	})
}

func directiveBilling(h *harness, args string) error {
	f := strings.Fields(args)
	if len(f) < 2 {
		return fmt.Errorf("want TYPE PHONE [key=value…]")
	}
	eventSeq++
	now := h.clock.Now()
	ev := bot.BillingEvent{ID: fmt.Sprintf("evt_test_%d", eventSeq), Type: f[0], Created: now.Unix(), ClientPhone: bot.MustPhone(f[1])}
	ev.CustomerID = "cus_" + string(ev.ClientPhone[1:])
	for _, kv := range f[2:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "status":
			ev.Status = bot.ClientStatus(v)
		case "sub":
			ev.SubscriptionID = v
		case "id":
			ev.ID = v
		case "at":
			s, err := strconv.Atoi(v)
			if err != nil {
				return err
			}
			ev.Created = now.Unix() + int64(s)
		case "code":
			ev.Code = v
		case "promo":
			ev.PromotionID = v
		case "checkout":
			ev.CheckoutID = v
		case "trial":
			n, err := strconv.Atoi(strings.TrimSuffix(v, "d"))
			if err != nil {
				return err
			}
			ev.TrialEnd = now.AddDate(0, 0, n)
		case "period":
			n, err := strconv.Atoi(strings.TrimSuffix(v, "d"))
			if err != nil {
				return err
			}
			ev.PeriodStart, ev.PeriodEnd = now, now.AddDate(0, 0, n)
		default:
			return fmt.Errorf("unknown key %q", k)
		}
	}
	return testBilling(h).Apply(context.Background(), ev)
}

func TestEnsureDefaultPlanOnce(t *testing.T) {
	h := newHarness(t)
	for range 2 {
		if err := EnsureDefaultPlan(h.db, Start); err != nil {
			t.Fatal(err)
		}
	}
	var plans []bot.Plan
	h.db.View(func(tx bot.Tx) error {
		var err error
		plans, err = tx.Plans()
		return err
	})
	if len(plans) != 1 {
		t.Fatalf("%d plans, want 1", len(plans))
	}
	p := plans[0]
	if p.Name != "Starter" || p.PriceMinor != 900 || p.Currency != "usd" || p.Interval != bot.Month || p.Quota != 30 || !p.Active {
		t.Fatalf("default plan %+v", p)
	}
}

func TestPriceText(t *testing.T) {
	for _, c := range []struct {
		minor int64
		cur   string
		want  string
	}{
		{900, "usd", "$9.00"}, {2905, "eur", "€29.05"}, {100000, "gbp", "£1000.00"},
		{1500, "jpy", "1500 JPY"}, {1234, "chf", "12.34 CHF"},
	} {
		if got := priceText(c.minor, c.cur); got != c.want {
			t.Errorf("priceText(%d, %s) = %q, want %q", c.minor, c.cur, got, c.want)
		}
	}
}

func TestKeywordProblems(t *testing.T) {
	h := newHarness(t)
	if err := directiveClient(h, "+15550009999 YOGA Sunrise Yoga"); err != nil {
		t.Fatal(err)
	}
	for kw, want := range map[string]string{
		"BAKERY": "", "AB": "SignupKeywordLength", strings.Repeat("A", 21): "SignupKeywordLength",
		"MY SHOP": "SignupKeywordShape", "CAFÉ": "SignupKeywordShape", "12345": "SignupKeywordDigits",
		"STOP": "SignupKeywordReserved", "LISTA": "SignupKeywordReserved", "ALL": "SignupKeywordReserved",
		"YOGA": "SignupKeywordTaken", "SHOP24": "",
		// one typo from an opt-out, opt-in or help word: squatting
		"STPO": "SignupKeywordSquat", "UNSUSCRIBE": "SignupKeywordSquat", "PARRA": "SignupKeywordSquat",
		"STOPP": "SignupKeywordSquat", "HELPP": "SignupKeywordSquat", "AYDUA": "SignupKeywordSquat",
		"STRAT": "SignupKeywordSquat", "UNSTOPS": "SignupKeywordSquat", "ALTAS": "SignupKeywordSquat",
		"YESS": "SignupKeywordSquat", "INF0": "SignupKeywordSquat", "BAJAS": "SignupKeywordSquat",
		"CANCELA": "SignupKeywordSquat", "OPTOUTS": "SignupKeywordSquat", "QUITS": "SignupKeywordSquat",
		"REVOK": "SignupKeywordSquat", "STOPAL": "SignupKeywordSquat", "ENDS": "SignupKeywordSquat",
		"STEPS": "", "HELLO": "", "ALTO2": "",
	} {
		h.db.View(func(tx bot.Tx) error {
			got, err := keywordProblem(tx, kw)
			if err != nil || got != want {
				t.Errorf("keywordProblem(%q) = %q, %v; want %q", kw, got, err, want)
			}
			return nil
		})
	}
}

// TestSquatWordsFollowTheCommandWords: the squatting rule reads its words
// from the command table, so every opt-out, opt-in and help word is in it and
// nothing else is.
func TestSquatWordsFollowTheCommandWords(t *testing.T) {
	want := []string{"ALTA", "AYUDA", "BAJA", "CANCEL", "CANCELAR", "END", "HELP", "INFO", "OPTOUT", "PARAR",
		"QUIT", "REVOKE", "START", "STOP", "STOPALL", "UNSTOP", "UNSUBSCRIBE", "YES"}
	if got := complianceWords(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("complianceWords() = %v, want %v", got, want)
	}
	for kw, word := range map[string]string{"STPO": "STOP", "PARRA": "PARAR", "YOGA": "", "STOP": "STOP", "AYUDAS": "AYUDA"} {
		if got := SquatWord(kw); got != word {
			t.Errorf("SquatWord(%q) = %q, want %q", kw, got, word)
		}
	}
}

func TestSignupMessagesExistInBothLanguages(t *testing.T) {
	c := locales.MustLoad()
	for _, id := range []string{"SignupAskName", "SignupKeywordSquat", "BillingLive", "Status_past_due", "Interval_year", "PlanPaid", "Stats"} {
		for _, lang := range locales.Languages {
			if _, err := c.Render(lang, id, map[string]any{}); err != nil {
				t.Errorf("%s/%s: %v", lang, id, err)
			}
		}
	}
}
