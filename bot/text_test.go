package bot

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"  stop  ":         "STOP",
		"Stop!!":           "STOP",
		"join   yoga.":     "JOIN YOGA",
		"¡Ayuda!":          "AYUDA",
		"¿ayuda?":          "AYUDA",
		"🧘 yoga 🙏":         "YOGA",
		"👍🏽":               "",
		"español":          "ESPAÑOL",
		"ESPAN\u0303OL":    "ESPAÑOL", // N + combining tilde, as some keyboards send it
		"cafe\u0301":       "CAFÉ",
		"Stop by our shop": "STOP BY OUR SHOP",
		"ＳＴＯＰ":             "STOP", // fullwidth
		"ST\u200bOP":       "STOP", // zero-width space inside
		"S\u00adTOP\ufeff": "STOP", // soft hyphen, byte-order mark
		"jo\u200din yoga":  "JOIN YOGA",
		"ｊｏｉｎ　ｙｏｇａ":        "JOIN YOGA", // ideographic space too
		"":                 "",
	}
	for in, want := range cases {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSegments(t *testing.T) {
	cases := []struct {
		body string
		n    int
		enc  Encoding
	}{
		{"", 0, GSM7},
		{"hello", 1, GSM7},
		{strings.Repeat("a", 160), 1, GSM7},
		{strings.Repeat("a", 161), 2, GSM7},
		{strings.Repeat("a", 306), 2, GSM7},
		{strings.Repeat("a", 307), 3, GSM7},
		{strings.Repeat("€", 80), 1, GSM7}, // extension chars cost two septets: 160
		{strings.Repeat("€", 81), 2, GSM7}, // 162 septets
		{"café ñ ü", 1, GSM7},              // in the GSM-7 alphabet
		{"hi 🙂", 1, UCS2},                  // emoji: UCS-2
		{strings.Repeat("á", 70), 1, UCS2}, // á is not GSM-7
		{strings.Repeat("á", 71), 2, UCS2}, // 67 per part
		{strings.Repeat("🙂", 35), 1, UCS2}, // surrogate pairs count twice: 70 units
		{strings.Repeat("🙂", 36), 2, UCS2},
		{strings.Repeat("á", 134), 2, UCS2},
		{strings.Repeat("á", 135), 3, UCS2},
		// A character never straddles two parts (Twilio's count).
		{strings.Repeat("1", 152) + "[" + strings.Repeat("1", 152), 3, GSM7}, // 306 septets, '[' starts part 2
		{strings.Repeat("1", 151) + "[" + strings.Repeat("1", 153), 2, GSM7}, // 306 septets, '[' fills part 1
		{strings.Repeat("1", 158) + "€", 1, GSM7},                            // exactly 160: one part
		{strings.Repeat("1", 159) + "€", 2, GSM7},                            // 161
		{strings.Repeat("€", 153), 3, GSM7},                                  // 76 pairs a part, 306 septets
		{strings.Repeat("😀", 67), 3, UCS2},                                   // 134 units, 33 pairs a part
		{strings.Repeat("😀", 66), 2, UCS2},                                   // 132 units
		{"a" + strings.Repeat("😀", 66), 2, UCS2},                             // 133: 1+33 pairs, 33 pairs
		{"ab" + strings.Repeat("😀", 66), 3, UCS2},                            // 134: the 34th pair would straddle
		{strings.Repeat("á", 66) + "😀" + strings.Repeat("á", 66), 3, UCS2},   // 134 units, pair at 67-68
		{strings.Repeat("á", 65) + "😀" + strings.Repeat("á", 67), 2, UCS2},   // pair at 66-67 fits
		{strings.Repeat("😀", 35), 1, UCS2},                                   // 70 units: one part, no packing
	}
	for _, c := range cases {
		n, enc := Segments(c.body)
		if n != c.n || enc != c.enc {
			t.Errorf("Segments(%.20q… len %d) = %d %s, want %d %s", c.body, len(c.body), n, enc, c.n, c.enc)
		}
	}
}

func TestParsePhone(t *testing.T) {
	ok := map[string]Phone{
		"+15550001111":      "+15550001111",
		"+1 (555) 000-1111": "+15550001111",
		"5550001111":        "+15550001111",
		"15550001111":       "+15550001111",
		"0034 612 345 678":  "+34612345678",
		"+34612345678":      "+34612345678",
	}
	for in, want := range ok {
		got, err := ParsePhone(in)
		if err != nil || got != want {
			t.Errorf("ParsePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "+1", "12345", "+0123456789", "555-CALL-NOW", "+1555000111122223333", "++15550001111", "1555000111+"} {
		if p, err := ParsePhone(in); err == nil {
			t.Errorf("ParsePhone(%q) = %q, want an error", in, p)
		} else if ErrorCode(err) != EINVALID {
			t.Errorf("ParsePhone(%q) error code %s, want %s", in, ErrorCode(err), EINVALID)
		}
	}
}

func TestRedactCodes(t *testing.T) {
	cases := map[string]string{
		"Your Nudges console code is 907066. It expires in 10 minutes.": "Your Nudges console code is ••••••. It expires in 10 minutes.",
		"Tu código de la consola de Nudges es 012345.":                  "Tu código de la consola de Nudges es ••••••.",
		"Call +15550001111 at 10:30":                                    "Call +15550001111 at 10:30",
		"no code here":                                                  "no code here",
	}
	for in, want := range cases {
		if got := RedactCodes(in); got != want {
			t.Errorf("RedactCodes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHasControl(t *testing.T) {
	for s, want := range map[string]bool{
		"Joe's Coffee": false, "Café Ñandú 🧘": false, "👨\u200d🍳 Kitchen": false, "": false,
		"Joe\x00s": true, "Joe\x1b[31m": true, "Joe\tCoffee": true, "Joe\nCoffee": true, "\u0085x": true,
		"a\u2028b": true, "\u202eeeffoC": true, "\u2066x\u2069": true,
	} {
		if got := HasControl(s); got != want {
			t.Errorf("HasControl(%q) = %v, want %v", s, got, want)
		}
	}
}
