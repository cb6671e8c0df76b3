package admin

import (
	"net/http"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
)

// unguarded lists the cells (after the header) a spreadsheet would read as
// a formula: starting with =, +, -, @, tab or CR.
func unguarded(rows [][]string) []string {
	var bad []string
	for _, r := range rows[min(1, len(rows)):] {
		for _, c := range r {
			if c != "" && strings.ContainsAny(c[:1], "=+-@\t\r") {
				bad = append(bad, c)
			}
		}
	}
	return bad
}

// TestEveryCSVCellIsGuarded: consent.csv and the client's /x/ export guard
// every cell, free text, file names and phones alike.
func TestEveryCSVCellIsGuarded(t *testing.T) {
	h := newHarness(t)
	h.seedClient("YOGA")
	evil := []string{"=HYPERLINK(\"http://evil\")", "-2+3", "+cmd|' /C calc'!A0", "@SUM(1)", "\t=1", "\r=1"}
	h.write(func(tx *store.Tx) error {
		for i, s := range evil {
			r := bot.ConsentRecord{At: t0, Phone: "+15550001001", Keyword: "YOGA", Kind: bot.ConsentImport,
				Text: s, SID: s, To: "+15550000000", File: s, Admin: "+15550000001"}
			if err := tx.AppendConsent(&r); err != nil {
				return err
			}
			sub := bot.Subscription{Keyword: "YOGA", Phone: bot.Phone("+1555000200" + string(rune('0'+i))), JoinedAt: t0, Source: s}
			if _, err := tx.AddSubscription(sub); err != nil {
				return err
			}
		}
		return tx.PutExport(&bot.Export{Token: "tok", Keyword: "YOGA", Client: "+15550008800", CreatedAt: t0, ExpiresAt: t0.Add(bot.ExportTTL)})
	})
	h.login()
	st, rows := h.getCSV("/admin/consent.csv")
	if st != http.StatusOK || len(rows) != len(evil)+1 {
		t.Fatalf("consent export: %d %q", st, rows)
	}
	if bad := unguarded(rows); len(bad) > 0 {
		t.Errorf("consent.csv cells read as formulas: %q", bad)
	}
	if rows[1][5] != "'"+evil[0] || rows[1][1] != "'+15550001001" {
		t.Errorf("guarded text and phone: %q", rows[1])
	}
	st, rows = h.getCSV("/x/tok")
	if st != http.StatusOK || len(rows) != len(evil)+1 {
		t.Fatalf("list export: %d %q", st, rows)
	}
	if bad := unguarded(rows); len(bad) > 0 {
		t.Errorf("list export cells read as formulas: %q", bad)
	}
}
