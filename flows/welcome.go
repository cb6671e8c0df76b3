package flows

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"

	"nudges/bot"
)

// MaxWelcome is the longest welcome line a client may set.
const MaxWelcome = 160

// welcome sets, shows or removes the client's welcome line (WELCOME text,
// WELCOME, WELCOME OFF). A line that would take the join confirmation past
// two SMS, in either language, is refused with the room there is.
func (b *Brain) welcome(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	text := strings.Join(strings.Fields(afterWord(tc.m.Raw)), " ")
	switch {
	case text == "" && c.Welcome == "", (tc.m.Arg == "OFF" || tc.m.Arg == "NO") && c.Welcome == "":
		tc.Say("WelcomeNone", map[string]any{"Max": welcomeRoom(tc.T, c, "a")})
		return nil
	case text == "":
		tc.Say("WelcomeShow", map[string]any{"Text": c.Welcome})
		return nil
	case tc.m.Arg == "OFF" || tc.m.Arg == "NO":
		SetWelcome(tc.T, c, "")
		tc.Say("WelcomeOff", nil)
		return b.saveClient(tc, c)
	}
	if id, data := SetWelcome(tc.T, c, text); id != "" {
		tc.Say(id, data)
		return nil
	}
	tc.Say("WelcomeSet", map[string]any{"Text": quote(c.Welcome)})
	return b.saveClient(tc, c)
}

// SetWelcome makes text (spaces collapsed) c's welcome line, as WELCOME
// text does; "" removes it, as WELCOME OFF does. A refused line leaves c as
// it was, and refusal and data are the message that says why. The caller
// saves c.
func SetWelcome(tr bot.Translator, c *bot.Client, text string) (refusal string, data map[string]any) {
	text = strings.Join(strings.Fields(text), " ")
	switch {
	case text == "":
		c.Welcome = ""
		return "", nil
	case bot.HasControl(text): // what strings.Fields leaves: NULs, direction marks
		return "WelcomeControl", nil
	}
	if id, data := welcomeFits(tr, c, text); id != "" {
		return id, data
	}
	c.Welcome = text
	return "", nil
}

// welcomeFits says why text cannot be c's welcome line ("" when it can):
// with it, the join confirmation must stay within 2 SMS segments in every
// language. A character outside GSM-7 (á, í, ó, ú, an emoji) turns the
// whole confirmation into 67-character UCS-2 segments, where the
// disclosures leave little or no room: then the reply says so, with the
// room a line without such characters has.
func welcomeFits(tr bot.Translator, c *bot.Client, text string) (string, map[string]any) {
	n, enc := bot.Units(text)
	limit := welcomeRoom(tr, c, text)
	if n <= limit && joinFits(tr, c, text) {
		return "", nil
	}
	if plain := welcomeRoom(tr, c, "a"); enc != bot.GSM7 && plain > 0 {
		return "WelcomeNotPlain", map[string]any{"Limit": plain}
	}
	return "WelcomeTooLong", map[string]any{"Length": n, "Limit": min(limit, n-1)}
}

// welcomeRoom is how many units (GSM-7 septets, or UTF-16 units when like
// has a character outside GSM-7) a welcome line like "like" may have so that
// c's join confirmation stays within 2 segments in every language, and at
// most MaxWelcome.
func welcomeRoom(tr bot.Translator, c *bot.Client, like string) int {
	bare := *c
	bare.Welcome = ""
	room := MaxWelcome
	for _, lang := range []string{bot.English, bot.Spanish} {
		prefix := joinedText(tr, lang, &bare) + "\n"
		_, enc := bot.Units(prefix + like)
		used := len(utf16.Encode([]rune(prefix)))
		if enc == bot.GSM7 {
			used, _ = bot.Units(prefix)
		}
		room = min(room, bot.MaxUnits(2, enc)-used)
	}
	return max(room, 0)
}

// joinFits reports whether c's join confirmation with welcome line text
// takes at most 2 segments in every language (an emoji never straddles two
// segments, which can cost a unit that welcomeRoom does not see).
func joinFits(tr bot.Translator, c *bot.Client, text string) bool {
	with := *c
	with.Welcome = text
	for _, lang := range []string{bot.English, bot.Spanish} {
		if n, _ := bot.Segments(joinedText(tr, lang, &with)); n > 2 {
			return false
		}
	}
	return true
}

func (b *Brain) saveClient(tc *turnCtx, c *bot.Client) error {
	if err := tc.Tx.PutClient(c); err != nil {
		return fmt.Errorf("save client %s: %w", c.Phone, err)
	}
	return nil
}

// afterWord is raw without its first word (WELCOME's text as typed).
func afterWord(raw string) string {
	raw = strings.TrimSpace(raw)
	i := strings.IndexFunc(raw, unicode.IsSpace)
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(raw[i:])
}
