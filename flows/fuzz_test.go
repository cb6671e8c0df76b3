package flows

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"nudges/bot"
	"nudges/locales"
	"nudges/store"
)

var fuzzSeeds = []string{
	"STOP", "join yoga", "LEAVE 2", "leave all", "SALIR TODO", "please stop texting me", "SIGN UP",
	"🧘", "", "CONFIRM", "HELP!", "¿ayuda?", "Stop by our shop today!", "LEAVE 99999999999999999999",
	strings.Repeat("x", 2048),
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := Parse(s)
		if m.Cmd == CmdNone {
			return
		}
		w, ok := words[m.Word]
		if !ok || w.cmd != m.Cmd {
			t.Fatalf("Parse(%q) = %+v: word and command disagree", s, m)
		}
		if again := Parse(m.Norm); again.Cmd != m.Cmd || again.Arg != m.Arg {
			t.Fatalf("Parse is not stable over its own normal form: %+v vs %+v", m, again)
		}
	})
}

// FuzzTurn sends arbitrary texts through the real engine and store: no
// input may fail a turn, leak a template error or go unanswered while the
// phone is opted in.
func FuzzTurn(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, uint8(1))
	}
	db, err := store.Open(filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	tr := locales.MustLoad()
	clock := bot.NewFixedClock(Start)
	e := &bot.Engine{Store: db, Brain: &Brain{ServiceNumber: "+15550000000", Support: "help"}, Clock: clock, T: tr, DefaultLocale: bot.English}
	db.Update(func(tx bot.Tx) error {
		return tx.PutClient(&bot.Client{Phone: "+15550009999", Keyword: "YOGA", Name: "Sunrise Yoga", Status: bot.ClientActive})
	})
	oops := tr.T(bot.English, "Oops", nil)
	seq := 0
	f.Fuzz(func(t *testing.T, body string, who uint8) {
		seq++
		clock.Advance(7e9)
		from := bot.Phone(fmt.Sprintf("+1555000%04d", who%8))
		r, err := e.Handle(context.Background(), bot.Inbound{SID: fmt.Sprintf("SMfuzz%d", seq), From: from, Body: body})
		if err != nil {
			t.Fatalf("turn %q: %v", body, err)
		}
		if r.Text == oops || strings.Contains(r.Text, "<no value>") || !utf8.ValidString(r.Text) {
			t.Fatalf("turn %q answered %q", body, r.Text)
		}
	})
}
