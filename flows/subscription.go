package flows

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/looplab/fsm"

	"nudges/bot"
)

// leaveFlow: LEAVE with several lists asks which; the answer (a number, a
// keyword or ALL) settles it.
var leaveFlow = newMachine("leave", fsm.Events{
	{Name: "ask", Src: []string{idle, "choosing"}, Dst: "choosing"},
	{Name: "choose", Src: []string{"choosing"}, Dst: idle},
})

// joinable reports whether a client's list takes new members.
func joinable(c *bot.Client) bool {
	return c.Status == bot.ClientActive || c.Status == bot.ClientPastDue
}

// join puts the sender on the list named keyword.
func (b *Brain) join(tc *turnCtx, keyword string) error {
	c, err := tc.Tx.ClientByKeyword(keyword)
	if err != nil {
		return fmt.Errorf("join %s: %w", keyword, err)
	}
	if c == nil || !joinable(c) {
		tc.Say("UnknownKeyword", map[string]any{"Keyword": keyword})
		return nil
	}
	added, err := tc.Tx.Subscribe(c.Keyword, tc.Conv.Phone, tc.Now)
	if err != nil {
		return fmt.Errorf("join %s: %w", keyword, err)
	}
	data := map[string]any{"Name": c.Name, "Keyword": c.Keyword}
	if !added {
		tc.Say("AlreadyJoined", data)
		return nil
	}
	tc.Say("Joined", data)
	return nil
}

// listed is one of the sender's lists with its client's name.
type listed struct {
	bot.Subscription
	Name string
}

func (b *Brain) lists(tc *turnCtx) ([]listed, error) {
	subs, err := tc.Tx.SubscriptionsOf(tc.Conv.Phone)
	if err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	out := make([]listed, 0, len(subs))
	for _, s := range subs {
		name := s.Keyword
		if c, err := tc.Tx.ClientByKeyword(s.Keyword); err != nil {
			return nil, fmt.Errorf("lists: %w", err)
		} else if c != nil {
			name = c.Name
		}
		out = append(out, listed{s, name})
	}
	return out, nil
}

func numbered(ls []listed) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%d. %s (%s)", i+1, l.Name, l.Keyword)
	}
	return b.String()
}

func (b *Brain) list(tc *turnCtx) error {
	ls, err := b.lists(tc)
	if err != nil {
		return err
	}
	if len(ls) == 0 {
		tc.Say("ListNone", nil)
		return nil
	}
	tc.Say("ListSome", map[string]any{"Lists": numbered(ls), "Count": len(ls)})
	return nil
}

// leave handles LEAVE [n | KEYWORD | ALL].
func (b *Brain) leave(tc *turnCtx, arg string) error {
	ls, err := b.lists(tc)
	if err != nil {
		return err
	}
	switch {
	case len(ls) == 0:
		tc.Say("ListNone", nil)
		return nil
	case arg == "" && len(ls) == 1:
		return b.leaveLists(tc, ls)
	case arg == "":
		if err := leaveFlow.fire(tc.Conv, "ask"); err != nil {
			return err
		}
		tc.Conv.StepAt = tc.Now
		tc.Say("LeaveWhich", map[string]any{"Lists": numbered(ls), "Example": ls[0].Keyword})
		return nil
	}
	pick, ok := pickLists(ls, arg)
	if !ok {
		tc.Say("LeaveNotOn", map[string]any{"Arg": arg, "Lists": numbered(ls)})
		return nil
	}
	return b.leaveLists(tc, pick)
}

// pickLists reads a LEAVE answer: a list number, a keyword, or ALL.
func pickLists(ls []listed, arg string) ([]listed, bool) {
	switch arg {
	case "ALL", "TODO", "TODAS", "TODOS":
		return ls, true
	}
	if n, err := strconv.Atoi(arg); err == nil {
		if n >= 1 && n <= len(ls) {
			return ls[n-1 : n], true
		}
		return nil, false
	}
	for _, l := range ls {
		if l.Keyword == arg {
			return []listed{l}, true
		}
	}
	return nil, false
}

func (b *Brain) leaveLists(tc *turnCtx, ls []listed) error {
	names := make([]string, 0, len(ls))
	for _, l := range ls {
		if _, err := tc.Tx.Unsubscribe(l.Keyword, tc.Conv.Phone); err != nil {
			return fmt.Errorf("leave %s: %w", l.Keyword, err)
		}
		names = append(names, l.Name)
	}
	tc.Say("Left", map[string]any{"Lists": strings.Join(names, ", ")})
	return nil
}

// leaveStep reads the answer to "which list?". Anything that is not an
// answer ends the step and is read as a fresh message.
func (b *Brain) leaveStep(tc *turnCtx) (bool, error) {
	arg := tc.m.Norm
	if tc.m.Cmd == CmdLeave {
		arg = tc.m.Arg
	}
	ls, err := b.lists(tc)
	if err != nil {
		return true, err
	}
	pick, ok := pickLists(ls, arg)
	if !ok && isNumber(arg) {
		tc.Say("LeaveNotOn", map[string]any{"Arg": arg, "Lists": numbered(ls)})
		return true, nil // a wrong number: still choosing
	}
	if err := leaveFlow.fire(tc.Conv, "choose"); err != nil {
		return true, err
	}
	if !ok {
		return false, nil
	}
	return true, b.leaveLists(tc, pick)
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
