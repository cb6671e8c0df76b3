package flows

import (
	"strings"
	"testing"

	"nudges/bot"
	"nudges/locales"
)

// TestWelcomeLimitKeepsJoinReplyInTwoSegments: the room WELCOME announces
// is true in every language: a line of exactly that many characters keeps
// the join reply within 2 SMS segments for English and Spanish subscribers,
// one more is refused, and a line with an accent (UCS-2) is refused with
// the room a plain line has.
func TestWelcomeLimitKeepsJoinReplyInTwoSegments(t *testing.T) {
	tr := locales.MustLoad()
	for _, name := range []string{"Yo", "Sunrise Yoga Studio of Portland", strings.Repeat("Sunrise Yoga ", 5)[:60]} {
		c := &bot.Client{Name: name, Keyword: "SUNRISEYOGAPORTLAND1"}
		room := welcomeRoom(tr, c, "a")
		if room < 60 {
			t.Errorf("%q: only %d characters of room", name, room)
		}
		for _, line := range []string{strings.Repeat("x", room), strings.Repeat("€", room/2)} {
			if id, data := welcomeFits(tr, c, line); id != "" {
				t.Errorf("%q: a %d-unit line refused: %s %v", name, room, id, data)
			}
			with := *c
			with.Welcome = line
			for _, lang := range locales.Languages {
				if n, enc := bot.Segments(joinedText(tr, lang, &with)); n > 2 {
					t.Errorf("%q, %s: join reply with the longest line takes %d %s segments", name, lang, n, enc)
				}
			}
		}
		if id, data := welcomeFits(tr, c, strings.Repeat("x", room+1)); id != "WelcomeTooLong" || data["Limit"] != room {
			t.Errorf("%q: a line one over the room: %s %v, want WelcomeTooLong with limit %d", name, id, data, room)
		}
		if id, data := welcomeFits(tr, c, "Clase gratis el sábado"); id != "WelcomeNotPlain" || data["Limit"] != room {
			t.Errorf("%q: an accented line: %s %v, want WelcomeNotPlain with limit %d", name, id, data, room)
		}
	}
}
