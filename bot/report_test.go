package bot_test

import (
	"testing"

	"nudges/bot"
	"nudges/locales"
)

// TestReportCountsUnknownApart: a message whose fate is unknown (in flight
// when a process died or failed over: never resent) is reported as unknown,
// not as failed, in English and Spanish.
func TestReportCountsUnknownApart(t *testing.T) {
	for _, tc := range []struct{ lang, want string }{
		{bot.English, "Your announcement was sent to 2 of 4 subscribers. Failed: 1. Unknown: 1 (in flight during a restart: not resent, it may have arrived)."},
		{bot.Spanish, "Tu anuncio fue enviado a 2 de 4 suscriptores. Fallidos: 1. Sin confirmar: 1 (en curso durante un reinicio: no se repite y puede que haya llegado)."},
	} {
		h := newDispHarness(t)
		client := phone(500)
		h.putConv(&bot.Conversation{Phone: client, Locale: tc.lang, FirstSeen: dispT0})
		a := &bot.Announcement{Client: client, Keyword: "YOGA", Text: "Class at 6", Total: 4, Settled: 4, CreatedAt: dispT0,
			Counts: map[bot.MessageStatus]int{bot.StatusDelivered: 1, bot.StatusSent: 1, bot.StatusFailed: 1, bot.StatusUnknown: 1}}
		report := bot.ReportTo(locales.MustLoad())
		if err := h.db.Update(func(tx bot.Tx) error { return report(tx, dispT0, a) }); err != nil {
			t.Fatal(err)
		}
		h.drain(h.dispatcher(0))
		var bodies []string
		for _, r := range h.tw.Sent() {
			bodies = append(bodies, r.Form.Get("Body"))
		}
		if len(bodies) != 1 || bodies[0] != tc.want {
			t.Errorf("%s: reports %q\nwant once %q", tc.lang, bodies, tc.want)
		}
	}
}
