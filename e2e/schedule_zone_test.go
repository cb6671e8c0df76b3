package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

// The service reads a client's LATER in its number's zone: a Madrid number
// in Madrid time, a fictional +1 555 number in NUDGES_TIMEZONE.
func TestLaterReadsTheClientNumbersZone(t *testing.T) {
	db := filepath.Join(t.TempDir(), "n.db")
	madrid, fictional := bot.Phone("+34600111222"), bot.Phone("+15550009999")
	Update(t, db, func(tx bot.Tx) error {
		now := time.Now().UTC()
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
	s := Start(t, Options{DB: db, Env: []string{"NUDGES_TIMEZONE=America/Chicago"}})
	for phone, zone := range map[bot.Phone]string{madrid: "CE", fictional: "C"} { // CET/CEST, CST/CDT
		s.SMS(t, string(phone), "Class tomorrow")
		reply := s.SMS(t, string(phone), "LATER TOMORROW 9AM")
		if !strings.Contains(reply, "9:00 AM "+zone) {
			t.Errorf("%s: LATER answered %q, want 9:00 AM in %s…", phone, reply, zone)
		}
	}
}
