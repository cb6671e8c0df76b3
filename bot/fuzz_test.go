package bot

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"+15550001111", "(555) 000-1111", "0034612345678", "", "+", "++1", "1-800-FLOWERS", "+1 555 000 1111 ext 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePhone(s)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParsePhone(%q) error %v has code %s", s, err, ErrorCode(err))
			}
			return
		}
		if len(p) < 9 || len(p) > 16 || p[0] != '+' || p[1] == '0' || strings.Trim(string(p[1:]), "0123456789") != "" {
			t.Fatalf("ParsePhone(%q) = %q is not E.164", s, p)
		}
		if again, err := ParsePhone(string(p)); err != nil || again != p {
			t.Fatalf("ParsePhone(%q) = %q but ParsePhone of that = %q, %v", s, p, again, err)
		}
	})
}

func FuzzSegments(f *testing.F) {
	for _, s := range []string{"", "hi", strings.Repeat("a", 161), "🙂", "€€", "á", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, enc := Segments(s)
		if s == "" {
			if n != 0 {
				t.Fatalf("empty body has %d segments", n)
			}
			return
		}
		units := len(utf16.Encode([]rune(s)))
		if enc == GSM7 {
			units = 0
			for _, r := range s {
				units += gsmCost[r]
			}
		}
		single, multi := 160, 153
		if enc == UCS2 {
			single, multi = 70, 67
		}
		switch {
		case n < 1:
			t.Fatalf("%d segments for %q", n, s)
		case n == 1 && units > single:
			t.Fatalf("%d %s units in one segment", units, enc)
		// A pair (GSM-7 escape, UTF-16 surrogates) never splits, so each
		// full part may end one unit short.
		case n > 1 && (units > n*multi || units <= (n-1)*(multi-1)):
			t.Fatalf("%d %s units in %d segments", units, enc, n)
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"  stop!! ", "¿ayuda?", "🧘 yoga 🙏", "join  yoga", "ß", "ǆ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(s) {
			return
		}
		if n != strings.TrimSpace(n) || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q keeps outer or double spaces", s, n)
		}
	})
}
