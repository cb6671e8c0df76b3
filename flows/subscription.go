package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"nudges/bot"
)

// The LEAVE question's states and events.
type (
	leaveState string
	leaveEvent string
)

const (
	leaveChoosing leaveState = "choosing"
	evLeaveAsk    leaveEvent = "ask"
	evLeaveChoose leaveEvent = "choose"
)

// leaveFlow: LEAVE with several lists asks which; the answer (a number, a
// keyword or ALL) settles it.
var leaveFlow = newStep("leave",
	bot.Transition[leaveState, leaveEvent]{Event: evLeaveAsk, Src: []leaveState{idle, leaveChoosing}, Dst: leaveChoosing},
	bot.Transition[leaveState, leaveEvent]{Event: evLeaveChoose, Src: []leaveState{leaveChoosing}, Dst: idle},
)

// join puts the sender on the list named keyword.
func (b *Brain) join(tc *turnCtx, keyword string) error {
	c, err := tc.Tx.ClientByKeyword(keyword)
	if err != nil {
		return fmt.Errorf("join %s: %w", keyword, err)
	}
	if c == nil || !c.Joinable() {
		if handled, err := b.suggestKeyword(tc, keyword); handled || err != nil {
			return err
		}
		tc.Say("UnknownKeyword", map[string]any{"Keyword": keyword})
		return nil
	}
	if real, err := realList(tc, c); err != nil || real {
		return err
	}
	if paid(c) {
		return b.joinPaid(tc, c)
	}
	added, err := tc.Tx.AddSubscription(bot.Subscription{Keyword: c.Keyword, Phone: tc.Conv.Phone, JoinedAt: tc.Now, Source: tc.Source()})
	if err != nil {
		return fmt.Errorf("join %s: %w", keyword, err)
	}
	data := map[string]any{"Name": c.Name, "Keyword": c.Keyword}
	if !added {
		tc.Say("AlreadyJoined", data)
		return nil
	}
	if err := tc.Consent(bot.ConsentJoin, c.Keyword); err != nil {
		return err
	}
	tc.Replies = append(tc.Replies, joinedText(tc.T, tc.Lang(), c))
	return nil
}

// realList refuses a simulated phone a real client's list, and says so:
// simulated phones join only clients made in the simulator, so that they
// never count as recipients, use quota or show in a real client's reports.
func realList(tc *turnCtx, c *bot.Client) (bool, error) {
	if !tc.Conv.Simulated {
		return false, nil
	}
	owner, err := tc.Tx.Conversation(c.Phone)
	if err != nil {
		return false, fmt.Errorf("join %s: %w", c.Keyword, err)
	}
	if owner.Simulated {
		return false, nil
	}
	tc.Say("SimulatedJoinReal", map[string]any{"Name": c.Name, "Keyword": c.Keyword})
	return true, nil
}

// joinedText is the join confirmation: the disclosures, then the client's
// welcome line if it has one.
func joinedText(tr bot.Translator, lang string, c *bot.Client) string {
	text := tr.T(lang, "Joined", map[string]any{"Name": c.Name, "Keyword": c.Keyword})
	if c.Welcome != "" {
		text += "\n" + c.Welcome
	}
	return text
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

// numbered is one line per list, "2. Joe's Coffee (COFFEE)".
func numbered(ls []listed) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = fmt.Sprintf("%d. %s (%s)", i+1, l.Name, l.Keyword)
	}
	return out
}

// namedLists is one item per list, "Sunrise Yoga (YOGA)".
func namedLists(ls []listed) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = fmt.Sprintf("%s (%s)", l.Name, l.Keyword)
	}
	return out
}

// clientNames is each list's client name.
func clientNames(ls []listed) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Name
	}
	return out
}

// sayItems says message id with data["Lists"] set to items joined by sep.
// When that would pass bot.MaxReply characters (a phone on dozens of lists),
// it names as many items as fit and "and N more" instead, so the reply stays
// two segments; the numbers of the items shown stay the list numbers.
func (tc *turnCtx) sayItems(id string, data map[string]any, items []string, sep string) {
	data, _ = tc.fitItems(id, data, items, sep, func(n int) string {
		return tc.T.T(tc.Lang(), "MoreLists", map[string]any{"N": n})
	})
	tc.Say(id, data)
}

// sayFirstItems is sayItems naming at most limit items.
func (tc *turnCtx) sayFirstItems(id string, data map[string]any, items []string, limit int) {
	data, _ = tc.fitFirstItems(id, data, items, limit, ", ", func(n int) string {
		return tc.T.T(tc.Lang(), "MoreLists", map[string]any{"N": n})
	})
	tc.Say(id, data)
}

// fitItems sets data["Lists"] to as many of items as fit message id within
// bot.MaxReply characters, followed by more(the number left out) if any
// are, and returns data and how many items it shows (at least one).
func (tc *turnCtx) fitItems(id string, data map[string]any, items []string, sep string, more func(int) string) (map[string]any, int) {
	return tc.fitFirstItems(id, data, items, len(items), sep, more)
}

// fitFirstItems is fitItems showing at most limit items.
func (tc *turnCtx) fitFirstItems(id string, data map[string]any, items []string, limit int, sep string, more func(int) string) (map[string]any, int) {
	if data == nil {
		data = map[string]any{}
	}
	for shown := min(len(items), limit); ; shown-- {
		text := strings.Join(items[:shown], sep)
		if shown < len(items) {
			text = strings.Join(append(slices.Clip(items[:shown]), more(len(items)-shown)), sep)
		}
		data["Lists"] = text
		if shown <= 1 || utf8.RuneCountInString(tc.T.T(tc.Lang(), id, data)) <= bot.MaxReply {
			return data, shown
		}
	}
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
	items, page := numbered(ls), 1
	if tc.m.Arg != "" {
		page, _ = strconv.Atoi(tc.m.Arg)
	}
	// LIST 2 is the second page: pages follow one another, each starting
	// after what the one before showed. A page past the end is the last.
	var data map[string]any
	for start, p := 0, 1; ; p++ {
		var shown int
		data, shown = tc.fitItems("ListSome", map[string]any{"Count": len(ls)}, items[start:], "\n", func(n int) string {
			return tc.T.T(tc.Lang(), "MoreListsPage", map[string]any{"N": n, "Next": p + 1})
		})
		if start += shown; p >= page || start >= len(items) {
			break
		}
	}
	tc.Say("ListSome", data)
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
		if err := leaveFlow.fire(tc.Conv, evLeaveAsk); err != nil {
			return err
		}
		tc.Conv.StepAt = tc.Now
		tc.sayItems("LeaveWhich", map[string]any{"Example": ls[0].Keyword}, numbered(ls), "\n")
		return nil
	}
	pick, ok := pickLists(ls, arg)
	if !ok {
		tc.sayItems("LeaveNotOn", map[string]any{"Arg": arg}, numbered(ls), "\n")
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

// leaveLists takes the sender off ls; a paid membership is cancelled at
// period end instead (leavePaid) and says until when.
func (b *Brain) leaveLists(tc *turnCtx, ls []listed) error {
	var free []listed
	for _, l := range ls {
		if l.Paid != "" {
			if err := leavePaid(tc, l); err != nil {
				return err
			}
			continue
		}
		free = append(free, l)
		if _, err := tc.Tx.Unsubscribe(l.Keyword, tc.Conv.Phone); err != nil {
			return fmt.Errorf("leave %s: %w", l.Keyword, err)
		}
		if err := tc.Consent(bot.ConsentLeave, l.Keyword); err != nil {
			return err
		}
	}
	if len(free) > 0 {
		tc.sayItems("Left", nil, clientNames(free), ", ")
	}
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
		tc.sayItems("LeaveNotOn", map[string]any{"Arg": arg}, numbered(ls), "\n")
		return true, nil // a wrong number: still choosing
	}
	if err := leaveFlow.fire(tc.Conv, evLeaveChoose); err != nil {
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
