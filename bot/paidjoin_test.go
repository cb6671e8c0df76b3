package bot

import (
	"fmt"
	"testing"
	"time"
)

// A payment link names its phone until it expires; a new link for the same
// phone ends the old one; the open links stay bounded.
func TestPaidJoinLinks(t *testing.T) {
	now := time.Date(2026, 1, 5, 15, 0, 0, 0, time.UTC)
	c := &Client{PayToken: "pay1"}
	if tok := c.NewPaidJoin("+15550001111", "s1", now); tok != "pay1.s1" {
		t.Fatalf("token %q", tok)
	}
	if p := c.PaidJoinOf("s1", now.Add(PaidJoinTTL-time.Second)); p != "+15550001111" {
		t.Fatalf("live link names %q", p)
	}
	for _, s := range []string{"", "s2", "S1", "s1x"} {
		if p := c.PaidJoinOf(s, now); p != "" {
			t.Fatalf("secret %q names %q", s, p)
		}
	}
	if p := c.PaidJoinOf("s1", now.Add(PaidJoinTTL)); p != "" {
		t.Fatalf("expired link names %q", p)
	}
	c.NewPaidJoin("+15550001111", "s2", now)
	if c.PaidJoinOf("s1", now) != "" || c.PaidJoinOf("s2", now) != "+15550001111" {
		t.Fatalf("a new link must end the phone's old one: %+v", c.Payouts.Joins)
	}
	for i := range maxPaidJoins + 10 {
		c.NewPaidJoin(Phone(fmt.Sprintf("+1555100%04d", i)), fmt.Sprintf("x%d", i), now)
	}
	if n := len(c.Payouts.Joins); n != maxPaidJoins {
		t.Fatalf("%d open links", n)
	}
	if c.PaidJoinOf(fmt.Sprintf("x%d", maxPaidJoins+9), now) == "" || c.PaidJoinOf("x0", now) != "" {
		t.Fatal("the newest link must stay, the oldest go")
	}
}
