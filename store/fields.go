package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"nudges/bot"
)

// The fan-out reads a subscription and a conversation per recipient; these
// decoders pick the few top-level fields it needs out of the JSON without
// reflection. They read what encoding/json wrote; anything they do not
// recognise (an escape, a case-folded key, a malformed value of a field
// they read, bytes after the object) goes to encoding/json instead, so the
// result is the same either way. The values of fields they skip are only
// delimited, not validated: the rows are ours, written by encoding/json or
// bulkEncoder.

// eachField calls fn with every top-level key of the JSON object data and
// its raw value; false if data is not an object it can split (a key with
// an escape included).
func eachField(data []byte, fn func(key, val []byte) bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for i < len(data) {
		if data[i] != '"' {
			return false
		}
		end := bytes.IndexByte(data[i+1:], '"')
		if end < 0 || bytes.IndexByte(data[i+1:i+1+end], '\\') >= 0 {
			return false
		}
		key := data[i+1 : i+1+end]
		i = skipSpace(data, i+end+2)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		vend := skipValue(data, i)
		if vend <= i || !fn(key, data[i:vend]) {
			return false
		}
		i = skipSpace(data, vend)
		if i >= len(data) {
			return false
		}
		if data[i] == '}' {
			return skipSpace(data, i+1) == len(data) // nothing after the object
		}
		if data[i] != ',' {
			return false
		}
		i = skipSpace(data, i+1)
	}
	return false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns where the value starting at data[i] ends; i when it
// does not end.
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	switch data[i] {
	case '"':
		return max(skipString(data, i), i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				k := skipString(data, j)
				if k < 0 {
					return i
				}
				j = k - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return i
	}
	j := i
	for j < len(data) && bytes.IndexByte([]byte(",}] \t\r\n"), data[j]) < 0 {
		j++
	}
	return j
}

// skipString returns the index after the string starting at data[i] ('"'),
// -1 when it does not end.
func skipString(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// folds reports whether key matches one of names but for case, which
// encoding/json would accept: such a row goes to encoding/json.
func folds(key []byte, names ...string) bool {
	for _, n := range names {
		if len(key) == len(n) && bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// fieldString sets *s from a JSON string value; false if it needs
// encoding/json (escapes, invalid UTF-8) or is not a string.
func fieldString(val []byte, s *string) bool {
	if string(val) == "null" {
		return true
	}
	if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return false
	}
	in := val[1 : len(val)-1]
	if bytes.IndexByte(in, '\\') >= 0 || !utf8.Valid(in) {
		return json.Unmarshal(val, s) == nil
	}
	*s = string(in)
	return true
}

// fieldBool sets *b from a JSON boolean.
func fieldBool(val []byte, b *bool) bool {
	switch string(val) {
	case "true":
		*b = true
	case "false":
		*b = false
	case "null":
	default:
		return false
	}
	return true
}

// decodeSubscription decodes a subscription row as jsonDecode would.
func decodeSubscription(data []byte, s *bot.Subscription) error {
	if !fastSubscription(data, s) {
		*s = bot.Subscription{}
		return jsonDecode(data, s)
	}
	return nil
}

// fastSubscription decodes what encoding/json or bulkEncoder wrote; false
// when the row needs encoding/json.
func fastSubscription(data []byte, s *bot.Subscription) bool {
	return eachField(data, func(key, val []byte) bool {
		switch string(key) {
		case "keyword":
			return fieldString(val, &s.Keyword)
		case "phone":
			phone := string(s.Phone)
			ok := fieldString(val, &phone)
			s.Phone = bot.Phone(phone)
			return ok
		case "joined_at":
			return s.JoinedAt.UnmarshalJSON(val) == nil
		case "notice_at":
			return s.NoticeAt.UnmarshalJSON(val) == nil
		case "source":
			return fieldString(val, &s.Source)
		case "heard_from":
			from := string(s.HeardFrom)
			ok := fieldString(val, &from)
			s.HeardFrom = bot.Phone(from)
			return ok
		case "paid":
			return fieldString(val, &s.Paid)
		case "paid_until":
			return s.PaidUntil.UnmarshalJSON(val) == nil
		case "paid_ends":
			return s.PaidEnds.UnmarshalJSON(val) == nil
		}
		return !folds(key, "keyword", "phone", "joined_at", "notice_at", "source", "heard_from", "paid", "paid_until", "paid_ends")
	})
}

// decodeAudienceConv decodes the fields of a conversation a broadcast
// reads (see audienceConv) as json.Unmarshal would.
func decodeAudienceConv(data []byte, c *audienceConv) error {
	if !fastAudienceConv(data, c) {
		*c = audienceConv{}
		if err := json.Unmarshal(data, c); err != nil {
			return fmt.Errorf("decode audience: %w", err)
		}
	}
	return nil
}

func fastAudienceConv(data []byte, c *audienceConv) bool {
	return eachField(data, func(key, val []byte) bool {
		switch string(key) {
		case "locale":
			return fieldString(val, &c.Locale)
		case "locale_chosen":
			return fieldBool(val, &c.LocaleChosen)
		case "opted_out":
			return fieldBool(val, &c.OptedOut)
		case "simulated":
			return fieldBool(val, &c.Simulated)
		case "number_opt_outs":
			return false // an object: encoding/json reads it
		}
		return !folds(key, "locale", "locale_chosen", "opted_out", "simulated", "number_opt_outs")
	})
}

// consent encodes r byte for byte as encoding/json would (an import writes
// one per row).
func (e *bulkEncoder) consent(r *bot.ConsentRecord) ([]byte, error) {
	if y, g := r.At.Year(), r.Given.Year(); y < 0 || y > 9999 || g < 0 || g > 9999 {
		return json.Marshal(r) // its error, as putJSON would give
	}
	b := make([]byte, 0, 192)
	b = strconv.AppendUint(append(b, `{"id":`...), r.ID, 10)
	b = appendTime(append(b, `,"at":`...), r.At)
	b = e.str(append(b, `,"phone":`...), string(r.Phone))
	if r.Keyword != "" {
		b = e.str(append(b, `,"keyword":`...), r.Keyword)
	}
	b = e.str(append(b, `,"kind":`...), string(r.Kind))
	for _, f := range [...]struct{ name, v string }{
		{`,"text":`, r.Text}, {`,"sid":`, r.SID}, {`,"to":`, r.To},
		{`,"file":`, r.File}, {`,"admin":`, string(r.Admin)}, {`,"client":`, string(r.Client)}, {`,"note":`, r.Note},
		{`,"key":`, r.Key},
	} {
		if f.v != "" {
			b = e.str(append(b, f.name...), f.v)
		}
	}
	if !r.Given.IsZero() {
		b = appendTime(append(b, `,"given":`...), r.Given)
	}
	return append(b, '}'), nil
}
