package bot

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// Normalize prepares a message for matching: folded (see Fold),
// surrounding spaces, emoji and trailing punctuation removed, inner runs of
// space folded to one, upper case.
func Normalize(s string) string {
	s = Fold(s)
	s = strings.TrimRightFunc(s, func(r rune) bool {
		return unicode.IsPunct(r) || decoration(r)
	})
	s = strings.TrimLeftFunc(s, func(r rune) bool {
		return decoration(r) || r == '¡' || r == '¿'
	})
	return strings.ToUpper(strings.Join(strings.Fields(s), " "))
}

// Fold is s as matching reads it: compatibility forms replaced (NFKC, so a
// fullwidth ＳＴＯＰ is STOP and an Ñ typed as N and a combining tilde is Ñ)
// and invisible format characters (zero-width spaces and joiners, soft
// hyphens, byte-order marks) dropped wherever they are.
func Fold(s string) string {
	s = norm.NFKC.String(s)
	if strings.IndexFunc(s, invisible) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
}

// invisible is a character with no glyph of its own (Unicode Cf).
func invisible(r rune) bool { return r >= 0xAD && unicode.Is(unicode.Cf, r) }

// HasControl reports whether s holds a character that has no place in a
// name shown to others: a control character (NUL, escape, tab, newline…),
// a line or paragraph separator, or a bidirectional embedding, override or
// isolate, which reorders the text after it.
func HasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' ||
			r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
	}) >= 0
}

// decoration is what surrounds a command without being part of it: spaces,
// emoji and their joiners and variation selectors.
func decoration(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsSymbol(r) || unicode.Is(unicode.Mn, r) ||
		unicode.Is(unicode.Cf, r) || (r >= 0xFE00 && r <= 0xFE0F) || (r >= 0x1F000 && r <= 0x1FAFF)
}

// gsmBasic is the GSM 03.38 default alphabet; gsmExt costs two septets.
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt = "^{}\\[~]|€\f"
)

var gsmCost = func() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExt {
		m[r] = 2
	}
	return m
}()

// MaxReply is the most characters a filled reply template may have (SPEC §6).
const MaxReply = 320

// Encoding is how an SMS body travels.
type Encoding string

// SMS encodings.
const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// Segments counts the SMS parts body needs, as Twilio bills them: GSM-7
// fits 160 septets in one part and 153 per part when split; anything outside
// GSM-7 makes the whole body UCS-2, 70 UTF-16 units in one part and 67 when
// split. A character is never split between parts: an escape pair (a GSM-7
// extension character such as [ or €) or a surrogate pair (an emoji) that
// would straddle a boundary starts the next part.
func Segments(body string) (n int, enc Encoding) {
	if body == "" {
		return 0, GSM7
	}
	for _, r := range body {
		if _, ok := gsmCost[r]; !ok {
			return parts(body, 70, 67, utf16.RuneLen), UCS2
		}
	}
	return parts(body, 160, 153, func(r rune) int { return gsmCost[r] }), GSM7
}

// Units is body's length as its encoding counts it: GSM-7 septets (an
// extension character such as [ or € costs 2) or UTF-16 code units (an
// emoji costs 2), with the encoding the whole body would travel in.
func Units(body string) (n int, enc Encoding) {
	_, enc = Segments(body)
	for _, r := range body {
		if enc == GSM7 {
			n += gsmCost[r]
		} else {
			n += utf16.RuneLen(r)
		}
	}
	return n, enc
}

// MaxUnits is how many units of enc fit in n segments when split.
func MaxUnits(n int, enc Encoding) int {
	if enc == GSM7 {
		return n * 153
	}
	return n * 67
}

// parts packs body's characters, each cost(r) units, into parts of multi
// units, or one part when the whole fits single.
func parts(body string, single, multi int, cost func(rune) int) int {
	total := 0
	for _, r := range body {
		total += cost(r)
	}
	if total <= single {
		return 1
	}
	n, used := 1, 0
	for _, r := range body {
		c := cost(r)
		if used+c > multi {
			n, used = n+1, 0
		}
		used += c
	}
	return n
}

// codeRE is a one-time code in a message body: six digits on their own.
var codeRE = regexp.MustCompile(`\b[0-9]{6}\b`)

// RedactCodes hides the one-time codes in body. A login code is kept in
// clear only while its SMS waits to be sent: the conversation log, the
// outbox row once settled, and so backups hold it redacted (SPEC §7).
func RedactCodes(body string) string { return codeRE.ReplaceAllString(body, "••••••") }
