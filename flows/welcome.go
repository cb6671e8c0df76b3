package flows

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

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
		tc.Say("WelcomeNone", map[string]any{"Max": MaxWelcome})
		return nil
	case text == "":
		tc.Say("WelcomeShow", map[string]any{"Text": c.Welcome})
		return nil
	case tc.m.Arg == "OFF" || tc.m.Arg == "NO":
		c.Welcome = ""
		tc.Say("WelcomeOff", nil)
		return b.saveClient(tc, c)
	}
	if bot.HasControl(text) { // what strings.Fields leaves: NULs, direction marks
		tc.Say("WelcomeControl", nil)
		return nil
	}
	limit := min(MaxWelcome, welcomeRoom(tc.T, c))
	if n := utf8.RuneCountInString(text); n > limit {
		tc.Say("WelcomeTooLong", map[string]any{"Length": n, "Limit": limit})
		return nil
	}
	c.Welcome = text
	tc.Say("WelcomeSet", map[string]any{"Text": quote(text)})
	return b.saveClient(tc, c)
}

func (b *Brain) saveClient(tc *turnCtx, c *bot.Client) error {
	if err := tc.Tx.PutClient(c); err != nil {
		return fmt.Errorf("save client %s: %w", c.Phone, err)
	}
	return nil
}

// welcomeRoom is how many characters a welcome line may have so that c's
// join confirmation stays within bot.MaxReply in every language.
func welcomeRoom(tr bot.Translator, c *bot.Client) int {
	bare := *c
	bare.Welcome = ""
	room := bot.MaxReply
	for _, lang := range []string{bot.English, bot.Spanish} {
		room = min(room, bot.MaxReply-utf8.RuneCountInString(joinedText(tr, lang, &bare))-1)
	}
	return max(room, 0)
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
