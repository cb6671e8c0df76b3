package app

import (
	"bytes"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

func TestOverviewShowsTheListPlanNumberAndJoinLink(t *testing.T) {
	h := newHarness(t)
	h.write(func(tx *store.Tx) error {
		for i, p := range []string{"+15550100001", "+15550100002", "+15550100003"} {
			if _, err := tx.Subscribe("YOGA", bot.Phone(p), t0.AddDate(0, 0, -30*i)); err != nil {
				return err
			}
		}
		_, err := tx.Subscribe("GYM", "+15550100009", t0)
		if err != nil {
			return err
		}
		c, err := tx.Client(phoneA)
		if err != nil {
			return err
		}
		c.Used = 4
		c.Own = &bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberVerifying, Phone: "+18335550100", Since: t0.Add(-48 * time.Hour)}
		return tx.PutClient(c)
	})
	b := h.session(phoneA)
	r := b.get("/app/")
	if r.Status != http.StatusOK {
		t.Fatalf("overview: %d", r.Status)
	}
	mustContain(t, r.Body, `id="subscribers">3<`, ">26<", "announcements left", "Starter: 9.00 USD a month, 30 announcements",
		"Mar 30", "Apr 30", // period end
		"1 833 555 0100", "toll-free", "waiting for your registration since Mar 28, 2026",
		`<svg class="chart"`, "last 90 days: 3 now",
		"http://localhost:8080/j/YOGA", `src="/app/qr.svg"`, `href="/app/qr.png?download=1"`)
	if strings.Contains(r.Body, "GYM") {
		t.Error("A's overview shows B's list")
	}
	svg := b.get("/app/qr.svg")
	if svg.Status != http.StatusOK || !strings.HasPrefix(svg.Body, "<svg") {
		t.Fatalf("qr.svg: %d", svg.Status)
	}
	req := b.get("/app/qr.png?download=1")
	if _, err := png.Decode(bytes.NewReader([]byte(req.Body))); err != nil || req.Status != http.StatusOK {
		t.Fatalf("qr.png: %d %v", req.Status, err)
	}
	// B's QR code is B's join link, not A's.
	if other := h.session(phoneB).get("/app/qr.svg"); other.Body == svg.Body {
		t.Error("B's QR code is A's")
	}
}

// A client on a shared plan hears the service number; a canceled one sees
// the banner that says what it can do.
func TestOverviewSharedNumberAndStateBanner(t *testing.T) {
	h := newHarness(t)
	r := h.session(phoneCanc).get("/app/")
	mustContain(t, r.Body, "1 555 000 0000", "shared", "Your plan is canceled", "0</span><span>subscribers", "join page is offline")
	if r := h.session(phoneA).get("/app/"); strings.Contains(r.Body, "state-banner") || strings.Contains(r.Body, "offline") {
		t.Error("an active client sees a state banner or an offline join page")
	}
}

// A paid list's overview shows its paying members and the month's revenue,
// as STATS counts them; a free list has no such section.
func TestOverviewShowsPaidMembersAndRevenue(t *testing.T) {
	h := newHarness(t)
	h.write(func(tx *store.Tx) error {
		for i, p := range []bot.Phone{"+15550100001", "+15550100002", "+15550100003"} {
			if _, err := tx.Subscribe("YOGA", p, t0); err != nil {
				return err
			}
			s := bot.Subscription{Keyword: "YOGA", Phone: p, JoinedAt: t0}
			if i < 2 {
				s.Paid = "sub_" + string(p[len(p)-1:])
			}
			if err := tx.PutSubscription(s); err != nil {
				return err
			}
		}
		c, err := tx.Client(phoneA)
		if err != nil {
			return err
		}
		c.Payouts.Price = 500
		c.Payouts.AddRevenue(1000, t0)
		return tx.PutClient(c)
	})
	body := h.session(phoneA).get("/app/").Body
	mustContain(t, body, `id="paid"`, "5.00 USD a month", "Paying members</dt><dd>2<", "10.00 USD paid by members")
	if b := h.session(phoneB).get("/app/").Body; strings.Contains(b, `id="paid"`) {
		t.Error("a free list's overview shows a paid-list section")
	}
}
