package etcdkv

import (
	"fmt"
	"strings"
)

// DefaultPrefix is where Nudges keeps its keys in etcd.
const DefaultPrefix = "/nudges/v1/"

// layout names the etcd keys under one prefix:
//
//	<prefix><bucket>/<key>        a bucket's key (the key's raw bytes)
//	<prefix>.buckets/<bucket>     the bucket exists
//	<prefix>.seq/<bucket>         the bucket's highest reserved id, in decimal
//
// A bucket name is escaped (every byte but A–Z, a–z, 0–9, '_' and '-'
// becomes %XX), so it never holds the '/' that ends it nor starts with the
// '.' of the reserved names.
type layout struct{ prefix string }

func (l layout) data(bucket []byte) string    { return l.prefix + escape(bucket) + "/" }
func (l layout) markers() string              { return l.prefix + ".buckets/" }
func (l layout) marker(bucket []byte) string  { return l.markers() + escape(bucket) }
func (l layout) counter(bucket []byte) string { return l.prefix + ".seq/" + escape(bucket) }

// end is the first key after every key that starts with prefix.
func end(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00" // the whole key space
}

func escape(name []byte) string {
	var sb strings.Builder
	for _, c := range name {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			sb.WriteByte(c)
			continue
		}
		fmt.Fprintf(&sb, "%%%02X", c)
	}
	return sb.String()
}

func unescape(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		var c byte
		if i+2 >= len(s) {
			return nil, fmt.Errorf("bad bucket name %q", s)
		}
		if _, err := fmt.Sscanf(s[i+1:i+3], "%02X", &c); err != nil {
			return nil, fmt.Errorf("bad bucket name %q: %w", s, err)
		}
		out = append(out, c)
		i += 2
	}
	return out, nil
}
