package flows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"nudges/bot"
)

// Two-way replies of SPEC §4.2.
const (
	ReplyWindow    = 72 * time.Hour // after an announcement, a subscriber's text is a reply to it
	ForwardCap     = 100            // texts forwarded to one client per ForwardCapOver
	ForwardCapOver = time.Hour
	AckEvery       = 24 * time.Hour // "Sent to <client>" at most this often per subscriber and client
	maxForwarded   = 1400           // characters of a reply or answer passed on (Twilio takes 1,600)
)

// answerRE is a client's answer to a forwarded reply: "#12 see you then".
var answerRE = regexp.MustCompile(`(?s)^#\s?(\d{1,9})\b[\s:,.-]*(.*)$`)

// forward passes a subscriber's text that is no command to the client whose
// announcement it answers: the latest from its lists in ReplyWindow. It
// reports false when there is none, or that client takes no replies now
// (REPLIES OFF, ForwardCap reached, not active): then the usual "didn't
// understand" answers.
func (b *Brain) forward(tc *turnCtx) (bool, error) {
	c, err := b.repliedTo(tc)
	if err != nil || c == nil {
		return false, err
	}
	return b.forwardTo(tc, c)
}

// forwardTo passes the turn's text to client c as "#n (KEYWORD): text",
// unless c takes no replies now (REPLIES OFF, ForwardCap reached, not
// active); false then. A text to c's own number comes here directly.
func (b *Brain) forwardTo(tc *turnCtx, c *bot.Client) (bool, error) {
	cconv, err := tc.Tx.Conversation(c.Phone)
	if err != nil {
		return false, fmt.Errorf("load client %s: %w", c.Phone, err)
	}
	if c.RepliesOff || !c.CanBroadcast() || cconv.OptedOut {
		return false, nil
	}
	since := tc.Now.Add(-ForwardCapOver)
	if err := tc.Tx.DropForwardsBefore(c.Phone, since); err != nil {
		return false, err
	}
	if n, err := tc.Tx.ForwardsSince(c.Phone, since); err != nil || n >= ForwardCap {
		return false, err
	}
	n, err := b.handle(tc.Tx, c, tc.Conv.Phone)
	if err != nil {
		return false, err
	}
	data := map[string]any{"N": n, "Keyword": c.Keyword, "Text": cut(tc.m.Raw, maxForwarded)}
	if err := textOut(tc.Turn, c.Phone, c.Locale, "ReplyForwarded", data); err != nil {
		return false, err
	}
	if err := tc.Tx.AddForward(c.Phone, tc.Now); err != nil {
		return false, err
	}
	if err := noteReply(tc.Tx, c, n, tc.m.Raw, tc.Now); err != nil {
		return false, err
	}
	hook := map[string]any{"handle": fmt.Sprintf("#%d", n), "phone": tc.Conv.Phone, "keyword": c.Keyword, "text": tc.m.Raw, "at": tc.Now.UTC()}
	if err := bot.EmitHook(tc.Tx, c.Phone, bot.HookReplyReceived, tc.Now, hook); err != nil {
		return false, err
	}
	tc.Conv.Misses = nil
	if at, ok := tc.Conv.ReplyAcks[c.Keyword]; !ok || tc.Now.Sub(at) >= AckEvery {
		if tc.Conv.ReplyAcks == nil {
			tc.Conv.ReplyAcks = map[string]time.Time{}
		}
		tc.Conv.ReplyAcks[c.Keyword] = tc.Now
		tc.Say("ReplyAck", map[string]any{"Name": c.Name})
	}
	return true, nil
}

// noteReply adds a forwarded reply to the client's thread with #n and
// counts it for the client's latest announcement when it came within
// ReplyWindow of it.
func noteReply(tx bot.Tx, c *bot.Client, n int, text string, now time.Time) error {
	if err := tx.AppendThread(c.Phone, n, bot.ThreadMessage{At: now, In: true, Text: cut(text, maxForwarded)}); err != nil {
		return fmt.Errorf("thread #%d: %w", n, err)
	}
	if c.LastAnnouncement == 0 || now.Sub(c.LastAnnouncedAt) > ReplyWindow {
		return nil
	}
	return tx.CountReply(c.LastAnnouncement)
}

// repliedTo is the client of the sender's lists that last wrote to it, by
// an announcement or an answer to one of its texts, within ReplyWindow;
// nil if none did.
func (b *Brain) repliedTo(tc *turnCtx) (*bot.Client, error) {
	subs, err := tc.Tx.SubscriptionsOf(tc.Conv.Phone)
	if err != nil {
		return nil, fmt.Errorf("replies: %w", err)
	}
	var latest *bot.Client
	var latestAt time.Time
	for _, s := range subs {
		c, err := tc.Tx.ClientByKeyword(s.Keyword)
		if err != nil {
			return nil, fmt.Errorf("replies: %w", err)
		}
		if c == nil {
			continue
		}
		at := c.LastAnnouncedAt
		if answered := tc.Conv.Answered[c.Keyword]; answered.After(at) {
			at = answered
		}
		if !at.IsZero() && tc.Now.Sub(at) <= ReplyWindow && (latest == nil || at.After(latestAt)) {
			latest, latestAt = c, at
		}
	}
	return latest, nil
}

// handle is p's #n with c, given the next number the first time.
func (b *Brain) handle(tx bot.Tx, c *bot.Client, p bot.Phone) (int, error) {
	n, err := tx.Handle(c.Phone, p)
	if err != nil || n > 0 {
		return n, err
	}
	c.Handles++
	if err := tx.PutHandle(c.Phone, p, c.Handles); err != nil {
		return 0, err
	}
	if err := tx.PutClient(c); err != nil {
		return 0, fmt.Errorf("number handle: %w", err)
	}
	return c.Handles, nil
}

// textOut texts message id to phone to outside the inline reply (a
// forwarded reply, an answer, a scheduled announcement's news) through
// bot.Text from the service number: nothing goes to an opted-out phone, and
// the language is chosen by bot.LangOf, client being the locale of the
// client when to is one ("" for a subscriber). A simulated turn's texts are
// captured, whoever they go to. It is the one way these flows text another
// phone.
func textOut(t *bot.Turn, to bot.Phone, client, id string, data map[string]any) error {
	return textFrom(t, "", to, client, func(lang string) string { return t.T.T(lang, id, data) })
}

// textFrom is textOut from sender from (a client's own number, or "" for
// the service number) with the body made by body.
func textFrom(t *bot.Turn, from, to bot.Phone, client string, body func(lang string) string) error {
	ok, err := bot.Text(t.Tx, t.Now, bot.Note{
		To: to, From: from, Kind: bot.KindReply, Priority: bot.PriorityHigh, Client: client, Simulated: t.Conv.Simulated,
		Body: body,
	})
	if err != nil {
		return err
	}
	if ok {
		t.Wake()
	}
	return nil
}

// answerWord is how a reply names "#n text": #n.
func answerWord(raw string) string {
	return "#" + answerRE.FindStringSubmatch(strings.TrimSpace(raw))[1]
}

// isAnswer reports whether a client's text is "#n text".
func isAnswer(raw string) bool { return answerRE.MatchString(strings.TrimSpace(raw)) }

// answer passes a client's "#n text" to subscriber #n as "Name: text",
// unless it left the list or opted out (the client is told).
func (b *Brain) answer(tc *turnCtx) error {
	p := answerRE.FindStringSubmatch(strings.TrimSpace(tc.m.Raw))
	n, _ := strconv.Atoi(p[1])
	no, err := b.answerTo(tc.Turn, tc.client, n, strings.TrimSpace(p[2]))
	if err != nil || no != nil {
		return tc.refuse(no, err)
	}
	tc.Say("AnswerSent", map[string]any{"N": n})
	return nil
}

// answerTo sends client c's answer text to its subscriber #n, as "#n text"
// does, and adds it to their thread; a refusal says why it was not sent
// (no text, control characters, too long, no such #n, opted out, left).
func (b *Brain) answerTo(t *bot.Turn, c *bot.Client, n int, text string) (*refusal, error) {
	data := map[string]any{"N": n}
	if no := answerText(text, data); no != nil {
		return no, nil
	}
	if c.Status == bot.ClientSuspended || c.Status == bot.ClientCanceled {
		return &refusal{"AnswerNotActive", data}, nil // an answer is an SMS the service pays for
	}
	phone, err := t.Tx.HandlePhone(c.Phone, n)
	if err != nil || phone == "" {
		return &refusal{"AnswerUnknown", data}, err
	}
	conv, err := t.Tx.Conversation(phone)
	if err != nil {
		return nil, fmt.Errorf("load #%d: %w", n, err)
	}
	from := bot.SenderOf(c) // the client's own number once ready (§11)
	if conv.OptedOutOf(from) {
		return &refusal{"AnswerOptedOut", data}, nil
	}
	sub, err := onList(t.Tx, c.Keyword, phone)
	if err != nil || sub == nil {
		return &refusal{"AnswerLeft", data}, err
	}
	if err := b.sendAnswer(t, c, from, sub, text); err != nil {
		return nil, err
	}
	if conv.Answered == nil { // the subscriber's answer to it comes back too
		conv.Answered = map[string]time.Time{}
	}
	conv.Answered[c.Keyword] = t.Now
	if err := t.Tx.PutConversation(conv); err != nil {
		return nil, fmt.Errorf("save #%d: %w", n, err)
	}
	return nil, t.Tx.AppendThread(c.Phone, n, bot.ThreadMessage{At: t.Now, Text: text})
}

// answerText refuses an answer's text that is empty, holds control
// characters or is longer than maxForwarded.
func answerText(text string, data map[string]any) *refusal {
	switch l := utf8.RuneCountInString(text); {
	case text == "":
		return &refusal{"AnswerHow", data}
	case bot.HasControl(strings.Join(strings.Fields(text), " ")): // WELCOME's check: line breaks may stay, NUL, ESC, BEL may not
		return &refusal{"AnswerControl", data}
	case l > maxForwarded: // refused, not cut: the client would not know
		data["Length"], data["Limit"] = l, maxForwarded
		return &refusal{"AnswerTooLong", data}
	}
	return nil
}

// sendAnswer texts a client's answer to subscriber sub from sender from;
// the first message from the client's own number names the business.
func (b *Brain) sendAnswer(t *bot.Turn, c *bot.Client, from bot.Phone, sub *bot.Subscription, text string) error {
	intro := from != "" && sub.HeardFrom != from
	body := func(lang string) string {
		s := t.T.T(lang, "Answer", map[string]any{"Name": c.Name, "Text": text})
		if intro {
			s = introduce(t.T, lang, c.Name, s)
		}
		return s
	}
	if err := textFrom(t, from, sub.Phone, "", body); err != nil {
		return err
	}
	if !intro {
		return nil
	}
	sub.HeardFrom = from
	return t.Tx.PutSubscription(*sub)
}

// onList returns p's subscription to keyword's list, nil if it is not on it.
func onList(tx bot.Tx, keyword string, p bot.Phone) (*bot.Subscription, error) {
	subs, err := tx.SubscriptionsOf(p)
	if err != nil {
		return nil, fmt.Errorf("lists of %s: %w", p, err)
	}
	for i := range subs {
		if subs[i].Keyword == keyword {
			return &subs[i], nil
		}
	}
	return nil, nil
}

// replies turns forwarding off or on (REPLIES OFF / ON), or says which.
func (b *Brain) replies(tc *turnCtx) error {
	c := tc.client
	if c == nil {
		return b.clientOnly(tc, tc.m.Word)
	}
	on, set := onOff[tc.m.Arg]
	if !set {
		on = !c.RepliesOff
	} else {
		SetReplies(c, on)
		if err := b.saveClient(tc, c); err != nil {
			return err
		}
	}
	id := "RepliesOn"
	if !on {
		id = "RepliesOff"
	}
	tc.Say(id, nil)
	return nil
}

// SetReplies turns the forwarding of subscribers' replies to c on or off,
// as REPLIES ON and REPLIES OFF do. The caller saves c.
func SetReplies(c *bot.Client, on bool) { c.RepliesOff = !on }
