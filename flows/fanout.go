package flows

import (
	"time"

	"nudges/bot"
)

// Composer is how an announcement reads for one subscriber: "Name: text" in
// the subscriber's language, with the opt-out line for those who have not
// had it in NoticeEvery, and its picture as an MMS inside the US and Canada
// (elsewhere the picture's link in the text). The fan-out (bot.FanOut)
// calls it per recipient.
func Composer(tr bot.Translator) bot.Composer {
	type variant struct {
		id     uint64
		lang   string
		notice bool
		mms    bool
	}
	var last variant
	var lastBody string
	return func(a *bot.Announcement, name string, r *bot.Recipient, now time.Time) (string, string, bool) {
		text, media := deliveredTo(a, r.Conv.Phone)
		v := variant{a.ID, bot.LangOf(&r.Conv, "", ""), r.Sub.NoticeAt.IsZero() || now.Sub(r.Sub.NoticeAt) >= NoticeEvery, media != ""}
		if v != last || lastBody == "" {
			last, lastBody = v, announcementBody(tr, v.lang, v.notice, name, text)
		}
		return lastBody, media, v.notice
	}
}
