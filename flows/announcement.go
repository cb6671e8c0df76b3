package flows

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"nudges/bot"
)

// Broadcast limits of SPEC §4.4.
const (
	MaxDelivered = 1600                // characters Twilio takes in one message
	NoticeEvery  = 30 * 24 * time.Hour // opt-out line at most this often per subscriber
	quoteLen     = 60                  // characters of a draft quoted back
)

// The announcement machine: a client has a draft waiting for CONFIRM or not.
// Its state lives in conv.Draft, not conv.Flow, so a draft never holds up
// steps or commands; it is rebuilt per turn like every machine.
type (
	draftState string
	draftEvent string
)

const drafted draftState = "drafted"

// Announcement events.
const (
	evDraft   draftEvent = "draft"   // a new text: stored, replacing any draft
	evConfirm draftEvent = "confirm" // queued for every subscriber
	evDiscard draftEvent = "discard" // NO
	evExpire  draftEvent = "expire"  // older than DraftMaxAge
	evLater   draftEvent = "later"   // scheduled (LATER)
)

type draftTransition = bot.Transition[draftState, draftEvent]

var draftFlow = bot.NewMachine("announcement",
	draftTransition{Event: evDraft, Src: []draftState{idle, drafted}, Dst: drafted},
	draftTransition{Event: evConfirm, Src: []draftState{drafted}, Dst: idle},
	draftTransition{Event: evDiscard, Src: []draftState{drafted}, Dst: idle},
	draftTransition{Event: evExpire, Src: []draftState{drafted}, Dst: idle},
	draftTransition{Event: evLater, Src: []draftState{drafted}, Dst: idle},
)

// draftStateOf is conv's state in the announcement machine.
func draftStateOf(conv *bot.Conversation) draftState {
	if conv.Draft == nil {
		return idle
	}
	return drafted
}

// fireDraft moves conv's draft through event: idle drops the draft, evDraft
// stores next (a self-loop when a draft is replaced).
func fireDraft(conv *bot.Conversation, event draftEvent, next *bot.Draft) error {
	s, err := draftFlow.Fire(draftStateOf(conv), event)
	switch {
	case err != nil:
		return err
	case s == idle:
		conv.Draft = nil
	case event == evDraft:
		conv.Draft = next
	}
	return nil
}

// expired reports whether conv's draft is too old to send.
func expired(conv *bot.Conversation, now time.Time) bool {
	return conv.Draft != nil && now.Sub(conv.Draft.At) > DraftMaxAge
}

// draft stores an active client's text (and picture) as its announcement
// draft, links made tracked, and shows what sending it would mean.
func (b *Brain) draft(tc *turnCtx) error {
	c := tc.client
	if !c.CanBroadcast() {
		return b.notActive(tc)
	}
	if p := tc.In.PictureProblem; p != "" {
		tc.Say("Picture_"+p, nil)
		return nil
	}
	pic := tc.In.Picture
	if tc.m.Raw == "" && pic == nil {
		return b.miss(tc, "ClientEmpty")
	}
	d, no, err := b.makeDraft(tc.T, c, tc.m.Raw, pic, tc.Now)
	if err != nil || no != nil {
		return tc.refuse(no, err)
	}
	_, left, err := quota(tc.Tx, c)
	if err != nil {
		return err
	}
	id := "DraftReady"
	if tc.Conv.Draft != nil && !expired(tc.Conv, tc.Now) {
		if affirmative[tc.m.Norm] && pic == nil { // "YES" to "reply CONFIRM": not a new draft
			tc.Say("DraftConfirmHint", map[string]any{"Text": quote(tc.Conv.Draft.Text)})
			return nil
		}
		id = "DraftReplaced"
	}
	if err := fireDraft(tc.Conv, evDraft, &d); err != nil {
		return err
	}
	if err := b.sayDraft(tc, id, d.Text, left); err != nil {
		return err
	}
	b.draftNotes(tc, d.Links, pic)
	return nil
}

// sayDraft is the draft reply: the text as delivered, recipients, size and
// announcements left.
func (b *Brain) sayDraft(tc *turnCtx, id, text string, left int) error {
	n, err := audience(tc.Tx, tc.client)
	if err != nil {
		return err
	}
	segs, enc := segmentRange(tc.T, tc.client.Name, text)
	encID := "EncodingGSM"
	if enc == bot.UCS2 {
		encID = "EncodingUCS2"
	}
	shown := quote(text)
	if text == "" {
		shown = tc.T.T(tc.Lang(), "DraftNoText", nil)
	}
	tc.Say(id, map[string]any{
		"Text": shown, "Subscribers": n, "Segments": segs,
		"Encoding": tc.T.T(tc.Lang(), encID, nil), "Left": left,
	})
	return nil
}

// draftNotes adds to the draft reply what its links and pictures become.
func (b *Brain) draftNotes(tc *turnCtx, links []bot.Link, pic *bot.Media) {
	if len(links) > 0 {
		tc.Say("DraftLinks", map[string]any{"N": len(links), "Example": strings.TrimRight(b.PublicURL, "/") + "/l/" + links[0].Code})
	}
	switch {
	case pic != nil && tc.In.NumMedia > 1:
		tc.Say("DraftPictureFirst", map[string]any{"Ignored": tc.In.NumMedia - 1})
	case pic != nil:
		tc.Say("DraftPicture", nil)
	case tc.In.NumMedia > 0:
		tc.Say("DraftMediaDropped", nil)
	}
}

// affirmative words answer "reply CONFIRM" without being CONFIRM.
var affirmative = map[string]bool{
	"YES": true, "Y": true, "YEP": true, "YEAH": true, "SURE": true, "OK": true, "OKAY": true,
	"SI": true, "SÍ": true, "DALE": true, "VALE": true,
}

// segmentRange is what the announcement costs per subscriber in SMS parts:
// from the shortest delivered form to the longest (with the opt-out line,
// in either language), e.g. "1" or "1-2", and its encoding.
func segmentRange(tr bot.Translator, name, text string) (string, bot.Encoding) {
	lo, hi, enc := 0, 0, bot.GSM7
	for _, lang := range []string{bot.English, bot.Spanish} {
		for _, notice := range []bool{false, true} {
			n, e := bot.Segments(announcementBody(tr, lang, notice, name, text))
			if lo == 0 || n < lo {
				lo = n
			}
			if n > hi {
				hi, enc = n, e
			}
		}
	}
	if lo == hi {
		return strconv.Itoa(lo), enc
	}
	return fmt.Sprintf("%d-%d", lo, hi), enc
}

// confirm starts the fan-out of the live draft to every subscriber on the
// list now and counts it against the period.
func (b *Brain) confirm(tc *turnCtx) error {
	c := tc.client
	switch {
	case c == nil:
		return b.clientOnly(tc, tc.m.Word)
	case !c.CanBroadcast():
		return b.notActive(tc)
	}
	if live, err := liveDraft(tc, "NoDraft"); !live || err != nil {
		return err
	}
	left, no, err := b.sendable(tc.Tx, c, tc.Lang())
	if err != nil || no != nil {
		return tc.refuse(no, err)
	}
	n, err := b.broadcast(tc, c)
	if err != nil {
		return err
	}
	return b.saySending(tc, c, n, left-1)
}

// saySending is the CONFIRM reply: how many of the n it goes to get the
// announcement now and, when the send window holds some, how many get it
// when it opens. The split
// is read from the list's counts by number prefix (ListGroups), a few
// thousand keys at most, so it costs the same for a million subscribers.
func (b *Brain) saySending(tc *turnCtx, c *bot.Client, n, left int) error {
	data := map[string]any{"N": n, "Left": left}
	later, err := b.windowSplit(tc.Tx, c, tc.Now, tc.Lang(), data)
	if err != nil {
		return err
	}
	switch {
	case later == 0:
		tc.Say("Sending", data)
	case data["Now"] == 0:
		tc.Say("SendingAllHeld", data)
	default:
		tc.Say("SendingHeld", data)
	}
	return nil
}

// windowSplit counts how many of c's list the send window holds at now,
// from the list's counts by number prefix, and fills in data what the
// reply says of it (Now, Later, and Open in lang). No window holds none.
func (b *Brain) windowSplit(tx bot.Tx, c *bot.Client, now time.Time, lang string, data map[string]any) (later int, err error) {
	sendNow, later, err := b.split(tx, c, now)
	if err != nil || b.Window == nil || b.Window.Window.Off() {
		return 0, err
	}
	data["Now"], data["Later"], data["Open"] = sendNow, later, clockText(lang, b.Window.Window.Open)
	return later, nil
}

// split is how many of c's audience an announcement reaches at once at
// now, and how many wait for their send window to open.
func (b *Brain) split(tx bot.Tx, c *bot.Client, now time.Time) (sendNow, later int, err error) {
	if b.Window == nil || b.Window.Window.Off() {
		n, err := audience(tx, c)
		return n, 0, err
	}
	groups, err := tx.ListGroups(c.Keyword)
	if c.Payouts.Price > 0 { // a paid list goes to its paying members only
		groups, err = tx.PaidGroups(c.Keyword)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("list groups: %w", err)
	}
	sendNow, later = b.Window.Split(groups, now)
	return sendNow, later, nil
}

// clockText is a time of day, d after midnight, as lang writes it: "8:00
// AM", "8:00".
func clockText(lang string, d time.Duration) string {
	t := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(d)
	if lang == bot.Spanish {
		return fmt.Sprintf("%d:%02d", t.Hour(), t.Minute())
	}
	return t.Format("3:04 PM")
}

// broadcast records the announcement, counts it and clears the draft; its
// recipients are added after the commit by the fan-out (bot.FanOut), so
// CONFIRM answers at once whatever the list's size. It returns how many
// the announcement goes to.
func (b *Brain) broadcast(tc *turnCtx, c *bot.Client) (int, error) {
	c.Used++ // saved by startBroadcast
	n, err := startBroadcast(tc.Turn, c, *tc.Conv.Draft, 0)
	if err != nil {
		return 0, err
	}
	return n, fireDraft(tc.Conv, evConfirm, nil)
}

// startBroadcast starts the fan-out of d from c (its tracked links and
// picture too) to the list as it is at t.Now, saves c with its latest
// announcement and when it went, and has the fan-out woken after the
// commit. It returns how many the list holds; with nobody on it, it
// starts nothing and returns 0. CONFIRM and the scheduler (for LATER,
// counted when scheduled) both start announcements here. id is the id the
// announcement was given when it was scheduled, 0 for a new one.
func startBroadcast(t *bot.Turn, c *bot.Client, d bot.Draft, id uint64) (int, error) {
	n, err := audience(t.Tx, c)
	if err != nil || n == 0 {
		return 0, err
	}
	a := &bot.Announcement{
		ID: id, Client: c.Phone, Keyword: c.Keyword, Text: d.Text, Planned: n, Links: d.Links, Media: d.Media,
		Simulated: t.Conv.Simulated, CreatedAt: t.Now,
	}
	if err := bot.StartFanout(t.Tx, a); err != nil {
		return 0, err
	}
	if err := keepAssets(t.Tx, a); err != nil {
		return 0, err
	}
	c.LastAnnouncement = a.ID
	c.LastAnnouncedAt = t.Now // its subscribers' texts are replies for a while
	if err := t.Tx.PutClient(c); err != nil {
		return 0, fmt.Errorf("save client %s: %w", c.Phone, err)
	}
	t.Wake()
	return n, nil
}

// discard drops the draft (NO).
func (b *Brain) discard(tc *turnCtx) error {
	if tc.client == nil { // a subscriber's NO may answer an announcement
		if handled, err := b.forward(tc); handled || err != nil {
			return err
		}
		return b.miss(tc, "NotUnderstood") // counts for the loop guard
	}
	if tc.Conv.Draft == nil {
		tc.Say("NothingToDiscard", nil)
		return nil
	}
	if err := fireDraft(tc.Conv, evDiscard, nil); err != nil {
		return err
	}
	tc.Say("Discarded", nil)
	return nil
}

// liveDraft reports whether the sender has a draft young enough to send;
// if not it says so (none: the none message; too old: expired, and drops it).
func liveDraft(tc *turnCtx, none string) (bool, error) {
	switch {
	case tc.Conv.Draft == nil:
		tc.Say(none, nil)
		return false, nil
	case expired(tc.Conv, tc.Now):
		tc.Say("DraftExpired", nil)
		return false, fireDraft(tc.Conv, evExpire, nil)
	}
	return true, nil
}

// notActive tells a client who cannot send why.
func (b *Brain) notActive(tc *turnCtx) error {
	return tc.refuse(new(b.notActiveRefusal(tc.client)), nil)
}

// announcementBody is what a subscriber receives: "Name: text", and the
// opt-out line when notice is set.
func announcementBody(tr bot.Translator, lang string, notice bool, name, text string) string {
	id := "Announcement"
	if notice {
		id = "AnnouncementNotice"
	}
	return tr.T(lang, id, map[string]any{"Name": name, "Text": text})
}

// longestDelivered is the length in characters of the longest form text
// can reach a subscriber in: any language, with the opt-out line, and with
// the line naming the business when intro (a client with its own number).
func longestDelivered(tr bot.Translator, name, text string, intro bool) int {
	n := 0
	for _, lang := range []string{bot.English, bot.Spanish} {
		body := announcementBody(tr, lang, true, name, text)
		if intro { // the first message from the client's own number
			body = introduce(tr, lang, name, body)
		}
		n = max(n, utf8.RuneCountInString(body))
	}
	return n
}

// quote is a draft as the reply shows it: on one line, long ones cut.
func quote(text string) string {
	s := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(s) <= quoteLen+3 {
		return s
	}
	r := []rune(s)[:quoteLen]
	return strings.TrimRight(string(r), " ") + "..."
}
