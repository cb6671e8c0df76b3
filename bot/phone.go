package bot

import (
	"strings"
)

// Phone is a phone number in E.164 form: "+" and 8 to 15 digits.
type Phone string

// ParsePhone normalizes s to E.164. It accepts "+" followed by digits, "00"
// as an international prefix, and 10-digit North American numbers, with
// spaces, dots, dashes and parentheses between digits. Anything else is an
// EINVALID error.
func ParsePhone(s string) (Phone, error) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	plus := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", Errorf(EINVALID, "%q is not a phone number", s)
		}
	}
	d := b.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case len(d) == 10 && d[0] >= '2':
		d = "1" + d
	case len(d) == 11 && d[0] == '1':
	default:
		return "", Errorf(EINVALID, "%q is not a phone number in international form (+15551234567)", s)
	}
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return "", Errorf(EINVALID, "%q is not a phone number in international form (+15551234567)", s)
	}
	return Phone("+" + d), nil
}

// MustPhone is ParsePhone for constants in tests and defaults; it panics on error.
func MustPhone(s string) Phone {
	p, err := ParsePhone(s)
	if err != nil {
		panic(err)
	}
	return p
}
