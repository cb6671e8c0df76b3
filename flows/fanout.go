package flows

import (
	"time"

	"nudges/bot"
)

// Composer is how an announcement reads for one subscriber: "Name: text" in
// the subscriber's language, with the opt-out line for those who have not
// had it in NoticeEvery. The fan-out (bot.FanOut) calls it per recipient.
func Composer(tr bot.Translator) bot.Composer {
	type variant struct {
		id     uint64
		lang   string
		notice bool
	}
	var last variant
	var lastBody string
	return func(a *bot.Announcement, name string, r *bot.Recipient, now time.Time) (string, bool) {
		v := variant{a.ID, bot.LangOf(&r.Conv, "", ""), r.Sub.NoticeAt.IsZero() || now.Sub(r.Sub.NoticeAt) >= NoticeEvery}
		if v != last || lastBody == "" {
			last, lastBody = v, announcementBody(tr, v.lang, v.notice, name, a.Text)
		}
		return lastBody, v.notice
	}
}
