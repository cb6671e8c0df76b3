package flows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"nudges/bot"
)

// HelpLists is how many of a phone's lists HELP names.
const HelpLists = 3

// nearOptOutWords are the opt-out words whose near misses get a
// clarification (SPEC §4.1). END and QUIT are too short to guess at: SEND
// is one typo from END. CANCELAR comes before CANCEL so that CANCELA, one
// typo from both, is read as the Spanish word.
var nearOptOutWords = []struct{ word, lang string }{
	{"STOP", bot.English}, {"UNSUBSCRIBE", bot.English}, {"CANCELAR", bot.Spanish},
	{"CANCEL", bot.English}, {"REVOKE", bot.English}, {"OPTOUT", bot.English}, {"PARAR", bot.Spanish},
}

// oneTypo reports whether a and b differ by exactly one typo: a letter
// added, dropped or changed, or two neighbours swapped.
func oneTypo(a, b string) bool {
	x, y := []rune(a), []rune(b)
	if len(x) > len(y) {
		x, y = y, x
	}
	i := 0
	for i < len(x) && x[i] == y[i] {
		i++
	}
	switch {
	case len(y)-len(x) > 1 || len(x) == len(y) && i == len(x):
		return false
	case len(x) < len(y): // one added
		return string(x[i:]) == string(y[i+1:])
	case i+1 < len(x) && x[i] == y[i+1] && x[i+1] == y[i]: // two swapped
		return string(x[i+2:]) == string(y[i+2:])
	}
	return string(x[i+1:]) == string(y[i+1:]) // one changed
}

// nearOptOut is the opt-out word that norm, a whole message, is one typo
// away from (STPO, UNSUSCRIBE), if any. Commands never are: the caller has
// read them already, and no near miss is a command word either.
func nearOptOut(norm string) (word, lang string, ok bool) {
	if strings.Contains(norm, " ") || Reserved(norm) {
		return "", "", false
	}
	norm = strings.ReplaceAll(norm, "-", "") // OPT-OU
	for _, w := range nearOptOutWords {
		if oneTypo(norm, w.word) {
			return w.word, w.lang, true
		}
	}
	return "", "", false
}

// clarifyOptOut answers a near miss of an opt-out word with "Did you mean
// STOP?", in the language of that word unless the phone chose one. Nothing
// else changes; a live keyword is never taken for a near miss.
func (b *Brain) clarifyOptOut(tc *turnCtx) (bool, error) {
	word, lang, ok := nearOptOut(tc.m.Norm)
	if !ok {
		return false, nil
	}
	if c, err := tc.Tx.ClientByKeyword(tc.m.Norm); err != nil || c != nil && c.Joinable() {
		return false, err
	}
	if tc.Conv.LocaleChosen {
		lang = ""
	}
	return true, b.missIn(tc, "DidYouMeanStop", map[string]any{"Word": word}, lang)
}

// nearKeyword is the one live keyword kw is a typo of (YOGAA, YGOA), or nil
// when none or more than one is.
func nearKeyword(tx bot.Tx, kw string) (*bot.Client, error) {
	var hit *bot.Client
	err := tx.EachClient(func(c *bot.Client) error {
		if !c.Joinable() || !oneTypo(kw, c.Keyword) {
			return nil
		}
		if hit != nil {
			hit = nil
			return errFound // two candidates: no guess
		}
		hit = c
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return nil, fmt.Errorf("keyword typo %s: %w", kw, err)
	}
	return hit, nil
}

// suggestKeyword answers an unknown keyword one typo from exactly one live
// keyword with "Did you mean YOGA (Sunrise Yoga)?"; nothing is joined.
func (b *Brain) suggestKeyword(tc *turnCtx, kw string) (bool, error) {
	c, err := nearKeyword(tc.Tx, kw)
	if err != nil || c == nil {
		return false, err
	}
	return true, b.missIn(tc, "DidYouMeanKeyword", map[string]any{"Keyword": c.Keyword, "Name": c.Name}, "")
}

// misspelledJoin reads JION YOGA or JOIM YOGA as JOIN YOGA: a first word
// one typo from JOIN (UNIRME) followed by a live keyword.
func (b *Brain) misspelledJoin(tc *turnCtx) (bool, error) {
	first, rest, ok := strings.Cut(tc.m.Norm, " ")
	if !ok || strings.Contains(rest, " ") || !(oneTypo(first, "JOIN") || oneTypo(first, "UNIRME")) {
		return false, nil
	}
	c, err := tc.Tx.ClientByKeyword(rest)
	if err != nil || c == nil || !c.Joinable() {
		return false, err
	}
	return true, b.join(tc, rest)
}

// complianceWords are the opt-out, opt-in and help words of SPEC §4.1 in
// both languages, sorted, read from the command table so that the two never
// drift apart.
func complianceWords() []string {
	var out []string
	for w, def := range words {
		switch def.cmd {
		case CmdStop, CmdStart, CmdYes, CmdHelp:
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}

// squatWords is complianceWords, computed once.
var squatWords = complianceWords()

// SquatWord is the opt-out, opt-in or help word that kw, a keyword (upper
// case), is or is one typo from, "" when none. Such a keyword would catch a
// subscriber's mistyped STOP (STPO, PARRA) and join them to a list instead
// of asking "Did you mean STOP?", so no client may take one.
func SquatWord(kw string) string {
	for _, w := range squatWords {
		if kw == w || oneTypo(kw, w) {
			return w
		}
	}
	return ""
}
