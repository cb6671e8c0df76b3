package metrics

import (
	"path/filepath"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
)

// Clients' own numbers are counted by state from the store, every state
// served even at zero.
func TestNumbersByState(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx bot.Tx) error {
		for i, st := range []bot.NumberState{bot.NumberReady, bot.NumberReady, bot.NumberProvisioning, ""} {
			c := &bot.Client{Phone: bot.Phone("+1555000100" + string(rune('0'+i))), Keyword: "K" + string(rune('A'+i)), Status: bot.ClientActive}
			if st != "" {
				c.Own = &bot.OwnNumber{Kind: bot.NumberLocal, State: st}
			}
			if err := tx.PutClient(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, New(db, "", "v-test"), "127.0.0.1:1")
	for _, want := range []string{`nudges_numbers{state="ready"} 2`, `nudges_numbers{state="provisioning"} 1`,
		`nudges_numbers{state="verifying"} 0`, `nudges_numbers{state="rejected"} 0`, `nudges_numbers{state="released"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}
