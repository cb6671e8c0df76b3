package flows

import (
	"testing"

	"nudges/bot"
)

// Every transition of the steps kept in conv.Flow/State, and a refusal
// of each event where it is not allowed.
func TestStepMachinesEveryTransition(t *testing.T) {
	type tr struct {
		flow, from, event, want string
		ok                      bool
	}
	fire := func(c tr, conv *bot.Conversation) error {
		if c.flow == "signup" {
			return signupFlow.fire(conv, signupEvent(c.event))
		}
		return leaveFlow.fire(conv, leaveEvent(c.event))
	}
	cases := []tr{
		{"signup", idle, "start", "name", true},
		{"signup", "name", "named", "keyword", true},
		{"signup", "keyword", "keyed", "plan", true},
		{"signup", "plan", "rekey", "keyword", true},
		{"signup", "plan", "picked", idle, true},
		{"signup", "name", "quit", idle, true},
		{"signup", "keyword", "quit", idle, true},
		{"signup", "plan", "quit", idle, true},
		{"signup", idle, "named", idle, false},
		{"signup", "name", "picked", "name", false},
		{"leave", idle, "ask", "choosing", true},
		{"leave", "choosing", "ask", "choosing", true}, // asked again: a self-loop
		{"leave", "choosing", "choose", idle, true},
		{"leave", idle, "choose", idle, false},
	}
	for _, c := range cases {
		conv := &bot.Conversation{}
		if c.from != idle {
			conv.Flow, conv.State = c.flow, c.from
		}
		err := fire(c, conv)
		got := conv.State
		if conv.Flow == "" {
			got = idle
		}
		if (err == nil) != c.ok || got != c.want || (got != idle && conv.Flow != c.flow) {
			t.Errorf("%s %s --%s--> flow %q state %q, err %v; want %q ok=%v", c.flow, c.from, c.event, conv.Flow, conv.State, err, c.want, c.ok)
		}
	}
	// A state another flow left behind, or one this version does not know,
	// reads as idle.
	conv := &bot.Conversation{Flow: "signup", State: "choosing"}
	if got := leaveFlow.current(conv); got != idle {
		t.Errorf("leave's state of a signup conversation: %q", got)
	}
	conv = &bot.Conversation{Flow: "signup", State: "gone"}
	if got := signupFlow.current(conv); got != idle {
		t.Errorf("an unknown stored state: %q", got)
	}
}
