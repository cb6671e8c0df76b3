package locales

import (
	"strings"
	"testing"
	"unicode/utf8"

	"nudges/bot"
)

// typical fills every template variable with a realistic, longish value.
var typical = map[string]any{
	"Name": "Sunrise Yoga Studio of Portland", "Keyword": "SUNRISEYOGA", "Example": "SUNRISEYOGA",
	"Lists": "1. Sunrise Yoga (YOGA)\n2. Joe's Coffee (COFFEE)\n3. Main St Books (BOOKS)",
	"Arg":   "BAKERY", "Support": "support@nudges.example", "Count": 3, "N": 1234, "X": 1230,
	"F": 4, "Total": 1234, "Sent": 1230, "Failed": 4, "Code": "123456", "Minutes": 10,
	"Plans": "1. Starter: $9.00/month, 30 announcements\n2. Pro: $29.00/month, 200 announcements",
	"Plan":  "Starter", "Price": "$9.00", "Interval": "month", "Quota": 30, "Left": 29,
	"Used": 1, "PeriodEnd": "Dec 21, 2026", "Status": "active", "Link": "http://localhost:8080/pay/ABCDEFGHJKMNPQRS",
	"Number": "+15550009999", "Text": strings.Repeat("Class is on at 7. ", 4), "Subscribers": 1234,
	"Segments": 2, "Encoding": "GSM-7", "Length": 1700, "Limit": 1600, "Reason": "too short",
	"Clicks": 987, "Ignored": 2, "URL": "https://nudges.example.com/j/SUNRISEYOGA",
	"QR":  "https://nudges.example.com/j/SUNRISEYOGA/qr.svg",
	"Now": 40000, "Later": 960000, "Open": "10:30 AM", "Dropped": 999000, "InFlight": 12,
	"Unknown": 3, "Count2": 2, "Max": 60, "Min": 2, "Skipped": 12, "Next": 2, "Word": "UNSUBSCRIBE",
	"When":        "Wednesday, September 30, 12:30 PM EST",
	"PluralCount": 1234, "Seconds": 5,
	"Since": "Dec 7, 2026", "Service": "+1 555 000 0000", "TollFree": true,
	"Percent": 20, "Amount": "$5.00", "Months": 3, "Off": "20% off", "For": "for 3 months",
	"Was": "$29.00", "Days": 14, "Fee": 12.5,
}

// typicalEs is what the service fills in differently for Spanish: its
// dates, intervals, statuses and plan lines.
var typicalEs = map[string]any{
	"When": "miércoles 30 de septiembre, 12:30 EST", "Interval": "mes", "Status": "activa",
	"PeriodEnd": "21 dic 2026", "Open": "8:00",
	"Plans": "1. Starter: $9.00/mes, 30 anuncios\n2. Pro: $29.00/mes, 200 anuncios",
}

// longest are the longest values the service lets through: a 60-character
// business name, a 20-character keyword, a 60-character quote (quote cuts
// longer text), the largest counts.
var longest = map[string]any{
	"Name":    strings.Repeat("Sunrise Yoga ", 5)[:60],
	"Keyword": "SUNRISEYOGAPORTLAND1", "Example": "SUNRISEYOGAPORTLAND1", "Arg": "SUNRISEYOGAPORTLAND1",
	"Text": strings.Repeat("Class is on at 7. ", 4)[:57] + "...",
	"N":    1000000, "Total": 1000000, "Sent": 999999, "Subscribers": 1000000,
}

// typicalIn is typical as lang fills it.
func typicalIn(lang string) map[string]any {
	if lang == bot.Spanish {
		return with(typical, typicalEs)
	}
	return typical
}

// with is base with over's values on top.
func with(base, over map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range base {
		m[k] = v
	}
	for k, v := range over {
		m[k] = v
	}
	return m
}

// TestSpanishSubscriberRepliesAreGSM: what subscribers get most (join,
// lists, leave, opt-out) is worded without á, í, ó or ú in Spanish too, so
// that it travels as GSM-7 (160 characters a segment) instead of UCS-2
// (67): LISTA once took 2 segments for 77 characters.
func TestSpanishSubscriberRepliesAreGSM(t *testing.T) {
	c := MustLoad()
	for _, id := range []string{"Joined", "AlreadyJoined", "ListNone", "ListSome", "Left", "OptedOut",
		"AlreadyOptedIn", "UnknownKeyword", "NotUnderstood", "HelpNew", "JoinPaid", "PaidJoinClosed", "LeftPaid",
		"PaidEnded", "PaidCardUpdate", "PaidLeaving"} {
		s := render(t, c, bot.Spanish, id, typicalIn(bot.Spanish))
		if n, enc := bot.Segments(s); enc != bot.GSM7 {
			t.Errorf("es/%s travels as %s (%d segments): %q", id, enc, n, s)
		}
	}
}

// TestPluralForms: a message with plural forms follows its count in each
// language (the console's "1 recipient", "2 recipients").
func TestPluralForms(t *testing.T) {
	c := MustLoad()
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 recipient"}, {"en", 2, "2 recipients"}, {"en", 0, "0 recipients"},
		{"es", 1, "1 destinatario"}, {"es", 2, "2 destinatarios"}, {"es", 1000000, "1000000 destinatarios"},
	} {
		got, err := c.Render(tc.lang, "ConsoleRecipients", map[string]any{"PluralCount": tc.n})
		if err != nil || got != tc.want {
			t.Errorf("%s, %d: %q (%v), want %q", tc.lang, tc.n, got, err, tc.want)
		}
	}
	// A message with one form is unaffected by a count.
	one, err := c.Render("en", "ListNone", map[string]any{"PluralCount": 1})
	if err != nil || one == "ListNone" {
		t.Errorf("single-form message with a count: %q, %v", one, err)
	}
}

func TestEveryMessageInEveryLanguage(t *testing.T) {
	en, err := IDs("en")
	if err != nil {
		t.Fatal(err)
	}
	if len(en) == 0 {
		t.Fatal("no English messages found")
	}
	for _, lang := range Languages {
		ids, err := IDs(lang)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, id := range ids {
			have[id] = true
		}
		for _, id := range en {
			if !have[id] {
				t.Errorf("%s: message %s missing", lang, id)
			}
		}
		if len(ids) != len(en) {
			t.Errorf("%s has %d messages, en has %d", lang, len(ids), len(en))
		}
	}
}

// TestFilledTemplatesFitTwoSegments: every template, in every language,
// filled with typical values, takes at most 2 SMS segments as Twilio counts
// them (SPEC §6: in Spanish an á, í, ó or ú makes the whole text UCS-2, 67
// characters a segment, so the templates are worded around them).
func TestFilledTemplatesFitTwoSegments(t *testing.T) {
	c := MustLoad()
	ids, _ := IDs("en")
	for _, lang := range Languages {
		for _, id := range ids {
			s := render(t, c, lang, id, typicalIn(lang))
			if n, enc := bot.Segments(s); n > 2 {
				t.Errorf("%s/%s takes %d segments (%s, %d characters) filled with typical values: %q", lang, id, n, enc, utf8.RuneCountInString(s), s)
			}
		}
	}
}

// TestLongestFilledTemplates: filled with the longest values the service
// allows (a 60-character name, a 20-character keyword), every template
// still fits within MaxReply characters and 3 segments.
func TestLongestFilledTemplates(t *testing.T) {
	c := MustLoad()
	ids, _ := IDs("en")
	for _, lang := range Languages {
		for _, id := range ids {
			s := render(t, c, lang, id, with(typicalIn(lang), longest))
			n, enc := bot.Segments(s)
			if l := utf8.RuneCountInString(s); n > 3 || l > bot.MaxReply {
				t.Errorf("%s/%s takes %d segments (%s, %d characters) filled with the longest values: %q", lang, id, n, enc, l, s)
			}
		}
	}
}

// render fills one template and fails the test when a value is missing.
func render(t *testing.T, c *Catalog, lang, id string, data map[string]any) string {
	t.Helper()
	s, err := c.Render(lang, id, data)
	if err != nil {
		t.Errorf("%s/%s: %v", lang, id, err)
	}
	if strings.Contains(s, "<no value>") {
		t.Errorf("%s/%s: a variable is missing from the values: %q", lang, id, s)
	}
	return s
}

func TestUnknownIDRendersIDNotPanic(t *testing.T) {
	c := MustLoad()
	if got := c.T("en", "NoSuchMessage", nil); got != "NoSuchMessage" {
		t.Fatalf("got %q", got)
	}
	if got := c.T("fr", "Oops", nil); !strings.Contains(got, "went wrong") {
		t.Fatalf("unknown language should fall back to English, got %q", got)
	}
}

// TestJoinPaidFitsWithItsLink: a paid list's join reply carries the
// disclosures and a real /p/{token} link (longer than the typical Link)
// and still fits 2 segments in both languages.
func TestJoinPaidFitsWithItsLink(t *testing.T) {
	c := MustLoad()
	link := "https://sms.nudges-example.com/p/abcdefghjkmnpqrs.abcdefghjkmnpqrs"
	for _, lang := range Languages {
		s := render(t, c, lang, "JoinPaid", with(typicalIn(lang), map[string]any{"Link": link}))
		if n, enc := bot.Segments(s); n > 2 {
			t.Errorf("%s/JoinPaid takes %d segments (%s, %d characters): %q", lang, n, enc, utf8.RuneCountInString(s), s)
		}
	}
}

// TestPaidStatsReplyFitsTwoSegments: STATS of a paid list is one reply of
// three lines (the period, the paid list, the last announcement with its
// clicks); filled with typical values it fits 2 segments in each language.
func TestPaidStatsReplyFitsTwoSegments(t *testing.T) {
	c := MustLoad()
	for _, lang := range Languages {
		data := typicalIn(lang)
		var lines []string
		for _, id := range []string{"Stats", "StatsPaid", "StatsLastClicks"} {
			lines = append(lines, render(t, c, lang, id, data))
		}
		s := strings.Join(lines, "\n")
		if n, enc := bot.Segments(s); n > 2 {
			t.Errorf("%s STATS takes %d segments (%s, %d characters): %q", lang, n, enc, utf8.RuneCountInString(s), s)
		}
	}
}
