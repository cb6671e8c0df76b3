package bot_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

type echoT struct{}

func (echoT) T(lang, id string, data map[string]any) string {
	return id + " " + lang + " " + data["Number"].(string)
}

// Dev mode: a client whose plan includes a number gets a fictional
// +1 555 01x xxxx one, ready at once, told once; a number another client
// holds is never given twice.
func TestDevNumberIsReadyAtOnceAndUnique(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	a, b := bot.MustPhone("+15550009999"), bot.MustPhone("+15550008888")
	taken := bot.DevNumberFor(a, 0)
	err = db.Update(func(tx bot.Tx) error {
		// b holds the number a would get first.
		if err := tx.PutClient(&bot.Client{Phone: b, Keyword: "BAKE", Own: &bot.OwnNumber{Phone: taken, Kind: bot.NumberLocal, State: bot.NumberReady}}); err != nil {
			return err
		}
		c := &bot.Client{Phone: a, Keyword: "YOGA", Locale: "en"}
		if !bot.StartNumber(c, &bot.Plan{Number: bot.NumberLocal}, now) || c.Own.State != bot.NumberProvisioning {
			t.Fatalf("StartNumber: %+v", c.Own)
		}
		if bot.StartNumber(c, &bot.Plan{Number: bot.NumberLocal}, now) {
			t.Error("StartNumber twice started a second number")
		}
		return bot.AssignDevNumber(tx, echoT{}, c, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	var c *bot.Client
	var told *bot.OutMessage
	db.View(func(tx bot.Tx) error {
		c, _ = tx.Client(a)
		told, _ = tx.OutMessage(1)
		return nil
	})
	n := c.Own
	if !n.Ready() || n.Phone == taken || !strings.HasPrefix(string(n.Phone), "+155501") || len(n.Phone) != 12 {
		t.Fatalf("dev number %+v; want a ready +1 555 01x xxxx other than %s", n, taken)
	}
	if bot.SenderOf(c) != n.Phone {
		t.Errorf("SenderOf = %q, want %q", bot.SenderOf(c), n.Phone)
	}
	if told == nil || told.To != a || told.From != "" || told.Body != "NumberReady en "+bot.FormatNumber(n.Phone) {
		t.Errorf("ready notice %+v; want NumberReady to the client from the service number", told)
	}
	if bot.StartNumber(c, &bot.Plan{Number: bot.NumberShared}, now) {
		t.Error("a shared plan started a number")
	}
}

func TestFormatNumber(t *testing.T) {
	for in, want := range map[bot.Phone]string{"+18335550100": "+1 833 555 0100", "+447700900123": "+447700900123"} {
		if got := bot.FormatNumber(in); got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

// UpdateNumber saves what the provider says; the client is told once, when
// the number first becomes ready, and Since follows the state.
func TestUpdateNumberTellsOnceWhenReady(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	p := bot.MustPhone("+15550009999")
	c := &bot.Client{Phone: p, Keyword: "YOGA", Own: &bot.OwnNumber{Kind: bot.NumberTollFree, State: bot.NumberProvisioning, Since: t0}}
	steps := []struct {
		state bot.NumberState
		told  int // notices queued so far
	}{{bot.NumberVerifying, 0}, {bot.NumberVerifying, 0}, {bot.NumberReady, 1}, {bot.NumberReady, 1}}
	for i, s := range steps {
		at := t0.Add(time.Duration(i+1) * time.Hour)
		err := db.Update(func(tx bot.Tx) error {
			n := *c.Own
			n.Phone, n.State = "+18335550100", s.state
			return bot.UpdateNumber(tx, echoT{}, c, n, at)
		})
		if err != nil {
			t.Fatal(err)
		}
		told := 0
		db.View(func(tx bot.Tx) error {
			for id := uint64(1); ; id++ {
				m, _ := tx.OutMessage(id)
				if m == nil {
					return nil
				}
				told++
			}
		})
		if told != s.told {
			t.Errorf("step %d (%s): %d notices, want %d", i, s.state, told, s.told)
		}
	}
	if want := t0.Add(3 * time.Hour); !c.Own.Since.Equal(want) {
		t.Errorf("Since %v, want %v (when it became ready)", c.Own.Since, want)
	}
	var stored *bot.Client
	db.View(func(tx bot.Tx) error { stored, _ = tx.ClientByNumber("+18335550100"); return nil })
	if stored == nil || !stored.Own.Ready() {
		t.Errorf("stored client by its number: %+v", stored)
	}
}
