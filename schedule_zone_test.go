package main

import (
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio"
)

// The wired service reads a client's LATER in its number's zone: a Madrid
// number in Madrid time, a fictional +1 555 number in NUDGES_TIMEZONE.
func TestLaterReadsTheClientNumbersZone(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "n.db")
	cfg, err := loadConfig(envOf("NUDGES_DB", dbPath, "NUDGES_TIMEZONE", "America/Chicago"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	madrid, fictional := bot.Phone("+34600111222"), bot.Phone("+15550009999")
	now := time.Now().UTC()
	err = db.Update(func(tx bot.Tx) error {
		p := &bot.Plan{Name: "Starter", PriceMinor: 900, Currency: "usd", Interval: bot.Month, Quota: 30, Active: true}
		if err := tx.PutPlan(p); err != nil {
			return err
		}
		for kw, phone := range map[string]bot.Phone{"BAILE": madrid, "YOGA": fictional} {
			c := &bot.Client{Phone: phone, Name: kw, Keyword: kw, Status: bot.ClientActive, PlanID: p.ID,
				PeriodStart: now, PeriodEnd: now.AddDate(0, 1, 0), CreatedAt: now}
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := serveApp(t, cfg, db)
	for phone, zone := range map[bot.Phone]string{madrid: "CE", fictional: "C"} { // CET/CEST, CST/CDT
		sms(t, base, phone, "Class tomorrow")
		reply := sms(t, base, phone, "LATER TOMORROW 9AM")
		if !strings.Contains(reply, "9:00 AM "+zone) {
			t.Errorf("%s: LATER answered %q, want 9:00 AM in %s…", phone, reply, zone)
		}
	}
}

func sms(t *testing.T, base string, from bot.Phone, body string) string {
	t.Helper()
	form := url.Values{"From": {string(from)}, "To": {"+15550000000"}, "Body": {body}, "MessageSid": {"SM" + strings.ReplaceAll(string(from)+body, " ", "")}}
	resp, err := http.PostForm(base+twilio.PathSMS, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}
