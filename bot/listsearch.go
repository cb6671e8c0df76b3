package bot

import "strings"

// PhoneSearch reads a search box's text as the start of a phone number:
// its digits, or a whole number's digits when it parses as one (any way
// login takes it). alt is the prefix to try when prefix finds nothing:
// numbers are kept as +1555…, so digits typed without + or 00 that match
// no phone are read as a +1 number's first digits. ok is false when q
// holds no digit.
func PhoneSearch(q string) (prefix, alt string, ok bool) {
	q = strings.TrimSpace(q)
	prefix = DigitsOf(q)
	if p, err := ParsePhone(q); err == nil {
		prefix = DigitsOf(string(p))
	}
	if prefix == "" {
		return "", "", false
	}
	if !strings.HasPrefix(q, "+") && !strings.HasPrefix(prefix, "0") && !strings.HasPrefix(prefix, "1") {
		alt = "1" + prefix
	}
	return prefix, alt, true
}

// DigitsOf keeps the digits of s, so "+1 (555) 12" gives 155512.
func DigitsOf(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// SourceKind is how a phone came on a list, in a word or two, from its
// subscription's Source: "keyword YOGA" (it texted the keyword), "join
// page" (it texted JOIN YOGA, as the join page's button does), "import"
// (with the file's name), "API", or "" when unknown. It never shows the
// numbers a Source holds (the importing admin's phone, the MessageSid).
func SourceKind(source string) string {
	switch {
	case source == "":
		return ""
	case strings.HasPrefix(source, "API key "):
		return "API"
	case strings.HasPrefix(source, "import by "):
		if _, file, ok := strings.Cut(source, ", file "); ok {
			file, _, _ = strings.Cut(file, ": ")
			if file = strings.TrimSpace(file); file != "" {
				return "import (" + file + ")"
			}
		}
		return "import"
	case strings.HasPrefix(source, "text "):
		body := textOf(source)
		if w, _, _ := strings.Cut(body, " "); strings.EqualFold(w, "JOIN") || strings.EqualFold(w, "UNIRME") {
			return "join page"
		}
		if body == "" {
			return "text"
		}
		return "keyword " + body
	}
	return "other"
}

// textOf is the quoted text of a text Source ("text \"YOGA\", MessageSid …"),
// clipped to a few words.
func textOf(source string) string {
	rest := strings.TrimPrefix(source, "text \"")
	end := strings.LastIndex(rest, "\", MessageSid ")
	if end < 0 {
		return ""
	}
	return clip(strings.ToUpper(strings.Join(strings.Fields(rest[:end]), " ")), 30)
}
