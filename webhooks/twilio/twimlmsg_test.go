package twilio

import (
	"strings"
	"testing"

	"github.com/twilio/twilio-go/twiml"
)

// The hand-written answer is byte for byte what twilio-go renders, for
// plain text, every escaped character, line breaks, accents, emoji, control
// characters and bytes that are not UTF-8.
func TestTwimlMessageMatchesTwilioGo(t *testing.T) {
	cases := []string{"", "You joined Sunrise Yoga.", "a & b < c > d \"e\" 'f'", "line\nbreak\r\ttab",
		"¡Te uniste! á é í ó ú ñ", "🙂🎉", "\x01\x08\x0b\x1f", "bad \xff\xfe utf8 \xc3", "\uFFFD real", "]]> <![CDATA[",
		strings.Repeat("long & text ", 200)}
	for _, s := range cases {
		var verbs []twiml.Element
		if s != "" {
			verbs = []twiml.Element{twiml.MessagingMessage{Body: s}}
		}
		want, err := twiml.Messages(verbs)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(twimlMessage(s)); got != want {
			t.Errorf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
}

func BenchmarkTwimlMessage(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		twimlMessage("You joined Sunrise Yoga. Reply LEAVE YOGA to leave, HELP for help. Msg&data rates may apply.")
	}
}
