package bot

import (
	"crypto/rand"
	"fmt"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RandomCode is n letters and digits from a cryptographic source (about
// 5.95 bits each): the unguessable part of public links.
func RandomCode(n int) (string, error) {
	b := make([]byte, n)
	for i := 0; i < n; {
		if _, err := rand.Read(b[i:]); err != nil {
			return "", fmt.Errorf("random code: %w", err)
		}
		for ; i < n; i++ {
			if b[i] >= 248 { // 248 = 4*62: drop the bytes that would skew the letters
				break
			}
			b[i] = base62[int(b[i])%len(base62)]
		}
	}
	return string(b), nil
}

// IsCode reports whether s could be a RandomCode of at most max characters.
func IsCode(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}
