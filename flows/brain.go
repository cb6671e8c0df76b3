// Package flows holds the conversations: one file per flow (subscription,
// signup, announcement, schedule, replies, welcome), the steps among them
// a bot.Machine over the flow's own typed states and events, and the Brain
// that routes one inbound turn among them.
package flows

import (
	"fmt"
	"regexp"
	"time"

	"nudges/bot"
)

// Step and guard limits of SPEC §4.
const (
	StepIdle    = 30 * time.Minute // silence that ends a step in progress
	MissWindow  = 10 * time.Minute // loop guard window
	MissLimit   = 10               // "didn't understand" replies allowed per window
	MaxStrikes  = 3                // invalid answers in a row that end a step
	DraftMaxAge = 15 * time.Minute
)

// Brain routes a turn: compliance words, then the step in progress, then
// commands, then a client's announcement draft, then "didn't understand".
type Brain struct {
	// ServiceNumber is the number clients share with their subscribers;
	// empty when Twilio sends through a Messaging Service, and then each
	// client's own signup number is used (see number).
	ServiceNumber string
	// PublicURL is the base of links sent by SMS (payment, billing).
	PublicURL string
	// Support is the contact HELP gives.
	Support string
	// Payments makes checkout and billing links; nil until billing is wired.
	Payments Payments
	// ClientZone is the time zone of a client's number, in which its LATER
	// times are read; nil means Zone for every number.
	ClientZone func(bot.Phone) *time.Location
	// Zone is NUDGES_TIMEZONE, for numbers whose zone is not known; nil
	// means America/New_York.
	Zone *time.Location
	// Window is the send window announcements wait for (the CONFIRM reply
	// says how many it holds); nil sends everything now.
	Window *bot.SendWindow
	// DevNumbers assigns a client whose plan includes a number a fictional
	// one, ready at once, when the plan becomes active (dev mode: the
	// console SMS driver). Otherwise the number is left provisioning for
	// the provider's worker.
	DevNumbers bool
	// NumberAsked wakes the own-number worker when a client asks where its
	// number stands (REGISTER, NUMBER), so that a pending verification is
	// polled at once; nil: the worker's next tick.
	NumberAsked func()
	// PlatformFee is the percent of a paid list's payments the platform
	// keeps (NUDGES_PLATFORM_FEE); PRICE tells the client.
	PlatformFee float64
}

var _ bot.Brain = (*Brain)(nil)

// turnCtx is what one turn knows about the sender.
type turnCtx struct {
	*bot.Turn
	m      Msg
	client *bot.Client // nil when the sender is not a client
	missed bool        // the turn drew a "didn't understand" reply
}

// Turn implements bot.Brain.
func (b *Brain) Turn(t *bot.Turn) error {
	client, err := t.Tx.Client(t.In.From)
	if err != nil {
		return fmt.Errorf("load client: %w", err)
	}
	tc := &turnCtx{Turn: t, m: Parse(t.In.Body), client: client}
	if client != nil && prose(tc.m) {
		tc.m = Msg{Raw: tc.m.Raw, Norm: tc.m.Norm} // "Join us Saturday at 9": a draft, not JOIN
	}
	owner, err := numberOwner(t)
	if err != nil {
		return err
	}
	if owner != nil { // a text to a client's own number concerns it alone
		return b.numberTurn(tc, owner)
	}
	if t.In.OptOutType != "" {
		if handled, err := b.answeredByCarrier(tc); handled || err != nil {
			return err
		}
	}
	noteLanguage(t.Conv, tc.m)
	if err := suppress(tc); err != nil {
		return err
	}
	if handled, err := b.compliance(tc); handled || err != nil {
		return err
	}
	if t.Conv.OptedOut {
		return nil // nothing but replies to START and HELP
	}
	if tc.m.Raw == "" && (client == nil || t.In.NumMedia == 0) { // a client's picture is a draft
		return b.miss(tc, emptyMessage(t.In, client))
	}
	if handled, err := b.resume(tc); handled || err != nil {
		return err
	}
	if handled, err := b.command(tc); handled || err != nil {
		if err == nil && !tc.missed {
			t.Conv.Misses = nil // a real command lifts the loop guard
		}
		return err
	}
	return b.noCommand(tc)
}

// noCommand reads a text that is no command: a near miss of an opt-out
// word gets a clarification (never an active client's, whose text is an
// announcement); a client's text is a draft; a keyword's typo gets "did
// you mean"; the rest "didn't understand".
func (b *Brain) noCommand(tc *turnCtx) error {
	client := tc.client
	if client == nil || !client.CanBroadcast() {
		if handled, err := b.clarifyOptOut(tc); handled || err != nil {
			return err
		}
	}
	if client != nil {
		tc.Conv.Misses = nil
		return b.draft(tc) // the draft says so when the client cannot send
	}
	keywordish := keywordShape.MatchString(tc.m.Norm) && !commonWords[tc.m.Norm]
	if keywordish { // a near miss of a keyword is a try at joining, not a reply
		if handled, err := b.suggestKeyword(tc, tc.m.Norm); handled || err != nil {
			return err
		}
	}
	if handled, err := b.forward(tc); handled || err != nil {
		return err
	}
	if keywordish {
		return b.miss(tc, "UnknownKeyword")
	}
	if isAnswer(tc.m.Raw) { // "#n text" not forwarded: a client's answer; no command, so it counts as a miss
		return b.missIn(tc, "ClientOnly", map[string]any{"Word": answerWord(tc.m.Raw)}, "")
	}
	return b.miss(tc, "NotUnderstood")
}

// clientOnly answers a client's command sent by a phone that is no client:
// who the command is for and how to become one. Like EXPORT's and LINK's
// answer it is a command's reply, not a "didn't understand".
func (b *Brain) clientOnly(tc *turnCtx, word string) error {
	tc.Say("ClientOnly", map[string]any{"Word": word})
	return nil
}

// commonWords look like keywords but are replies, not attempts to join.
var commonWords = map[string]bool{
	"YES": true, "YEP": true, "YEAH": true, "SURE": true, "THANKS": true, "THANK": true, "THX": true,
	"HELLO": true, "HEY": true, "WHO": true, "WHAT": true, "WHY": true, "OKAY": true, "OK": true,
	"HOLA": true, "GRACIAS": true, "QUIEN": true, "QUIÉN": true, "QUE": true, "QUÉ": true, "VALE": true,
}

// keywordShape is what a keyword looks like: 3–20 letters or digits.
var keywordShape = regexp.MustCompile(`^[\p{L}\p{N}]{3,20}$`)

func emptyMessage(in bot.Inbound, client *bot.Client) string {
	switch {
	case client != nil:
		return "ClientEmpty" // a client's text is an announcement
	case in.NumMedia > 0:
		return "MediaOnly"
	}
	return "EmptyMessage"
}

// noteLanguage follows the language of the command words a phone uses
// (SPEC §6). A Spanish word switches to Spanish; an English word switches to
// English unless the phone chose Spanish with ESPAÑOL, since STOP, HELP and
// START are what every carrier teaches, whatever one's language. Using a
// Spanish word is itself the latest choice, so it lifts an ENGLISH choice.
func noteLanguage(conv *bot.Conversation, m Msg) {
	switch {
	case m.Cmd == CmdEnglish || m.Cmd == CmdSpanish:
		return // handled by the command itself
	case m.Lang == bot.Spanish:
		conv.Locale, conv.LocaleChosen = bot.Spanish, false
	case m.Lang == bot.English && !(conv.LocaleChosen && conv.Locale == bot.Spanish):
		conv.Locale = bot.English
	}
}

// resume hands the message to the step in progress, if any. A step silent
// for StepIdle has ended: say so and read the message afresh.
func (b *Brain) resume(tc *turnCtx) (bool, error) {
	conv := tc.Conv
	if conv.Flow == "" {
		return false, nil
	}
	if tc.Now.Sub(conv.StepAt) > StepIdle {
		conv.ClearStep()
		tc.Say("StepExpired", nil)
		return false, nil
	}
	if tc.m.Cmd == CmdExit || (tc.m.Word == "SALIR" && tc.m.Arg == "") {
		conv.ClearStep()
		tc.Say("StepExited", nil)
		return true, nil
	}
	var handled bool
	var err error
	switch conv.Flow {
	case leaveFlow.Name():
		handled, err = b.leaveStep(tc)
	case signupFlow.Name():
		handled, err = b.signupStep(tc)
	default:
		conv.ClearStep() // a flow this version does not know
	}
	if conv.Flow != "" {
		conv.StepAt = tc.Now
	}
	return handled, err
}

// command runs a command word, or joins a list named by a bare keyword.
func (b *Brain) command(tc *turnCtx) (bool, error) {
	switch tc.m.Cmd {
	case CmdJoin:
		if tc.m.Arg == "" {
			tc.Say("JoinWhich", nil)
			return true, nil
		}
		return true, b.join(tc, tc.m.Arg)
	case CmdList:
		return true, b.list(tc)
	case CmdLeave:
		return true, b.leave(tc, tc.m.Arg)
	case CmdEnglish, CmdSpanish:
		return true, b.language(tc)
	case CmdSignup:
		return true, b.signup(tc)
	case CmdExit:
		tc.Say("NothingToExit", nil)
		return true, nil
	case CmdPlan:
		return true, b.plan(tc)
	case CmdStats:
		return true, b.stats(tc)
	case CmdConfirm:
		return true, b.confirm(tc)
	case CmdDiscard:
		return true, b.discard(tc)
	case CmdLater:
		return true, b.later(tc)
	case CmdScheduled:
		return true, b.scheduled(tc)
	case CmdUnschedule:
		return true, b.unschedule(tc)
	case CmdWelcome:
		return true, b.welcome(tc)
	case CmdReplies:
		return true, b.replies(tc)
	case CmdExport:
		return true, b.export(tc)
	case CmdLink:
		return true, b.link(tc)
	case CmdHalt:
		return true, b.halt(tc)
	case CmdNumber:
		return true, b.numberStatus(tc)
	case CmdCode:
		return true, b.code(tc)
	case CmdPayouts:
		return true, b.payouts(tc)
	case CmdRegister:
		return true, b.register(tc)
	case CmdWeb:
		if handled, err := b.web(tc); handled || err != nil {
			return true, err
		}
	case CmdPrice:
		return true, b.price(tc)
	}
	if tc.client != nil && isAnswer(tc.m.Raw) {
		return true, b.answer(tc)
	}
	if tc.client != nil {
		return false, nil // a client's free text is a draft, even a keyword
	}
	if c, err := tc.Tx.ClientByKeyword(tc.m.Norm); err != nil || c != nil {
		if err != nil {
			return true, err
		}
		return true, b.join(tc, tc.m.Norm)
	}
	return b.misspelledJoin(tc)
}

// miss answers a message the service did not understand, unless the phone
// has drawn MissLimit such answers within MissWindow (an auto-responder,
// usually): then it stays silent until a real command.
func (b *Brain) miss(tc *turnCtx, id string) error {
	return b.missIn(tc, id, map[string]any{"Keyword": tc.m.Norm}, "")
}

// missIn is miss with message data, said in lang ("" for the phone's).
func (b *Brain) missIn(tc *turnCtx, id string, data map[string]any, lang string) error {
	tc.missed = true
	conv := tc.Conv
	kept := conv.Misses[:0]
	for _, at := range conv.Misses {
		if tc.Now.Sub(at) < MissWindow {
			kept = append(kept, at)
		}
	}
	conv.Misses = kept
	if len(conv.Misses) >= MissLimit {
		return nil
	}
	conv.Misses = append(conv.Misses, tc.Now)
	if lang == "" {
		lang = tc.Lang()
	}
	tc.Replies = append(tc.Replies, tc.T.T(lang, id, data))
	return nil
}

// number is the number c's subscribers text: the configured sender, else
// the number c signed up through.
func (b *Brain) number(c *bot.Client) string {
	return b.NumberOf(c)
}

// NumberOf is the number c's subscribers text (the join page shows it):
// its own number once ready, else the service number.
func (b *Brain) NumberOf(c *bot.Client) string {
	if own := bot.SenderOf(c); own != "" {
		return string(own)
	}
	return b.serviceNumberOf(c)
}

// serviceNumberOf is the service number as c knows it: the configured
// sender, else the number c signed up through.
func (b *Brain) serviceNumberOf(c *bot.Client) string {
	if b.ServiceNumber != "" || c == nil {
		return b.ServiceNumber
	}
	return c.Number
}

func (b *Brain) language(tc *turnCtx) error {
	lang := bot.English
	if tc.m.Cmd == CmdSpanish {
		lang = bot.Spanish
	}
	SetLanguage(tc.Conv, lang)
	tc.Say("LanguageSet", nil)
	return nil
}

// SetLanguage makes lang the language the service texts conv's phone in,
// as ENGLISH and ESPAÑOL do. The caller saves conv.
func SetLanguage(conv *bot.Conversation, lang string) {
	conv.LocaleChosen = true
	conv.Locale = lang
}
