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
		intro  bool
	}
	var last variant
	var lastBody string
	return func(a *bot.Announcement, name string, r *bot.Recipient, now time.Time) (string, string, bool) {
		text, media := deliveredTo(a, r.Conv.Phone)
		v := variant{a.ID, bot.LangOf(&r.Conv, "", ""), r.Sub.NoticeAt.IsZero() || now.Sub(r.Sub.NoticeAt) >= NoticeEvery, media != "", r.Introduce}
		if v != last || lastBody == "" {
			last, lastBody = v, announcementBody(tr, v.lang, v.notice, name, text)
			if v.intro {
				lastBody = introduce(tr, v.lang, name, lastBody)
			}
		}
		return lastBody, media, v.notice
	}
}

// introduce starts body with the line naming the business that a
// subscriber's first message from a client's own number carries (§11).
func introduce(tr bot.Translator, lang, name, body string) string {
	return tr.T(lang, "NumberIntro", map[string]any{"Name": name}) + "\n" + body
}
