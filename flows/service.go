package flows

import (
	"fmt"
	"time"

	"nudges/bot"
)

// Service is what a client's other doors (the HTTP API, the web dashboard)
// do with its announcements and reply threads outside an SMS turn. Its
// rules are the SMS ones, shared with them, not copied: a draft's as a
// text makes it, CONFIRM's, LATER's, HALT's, UNSCHEDULE's and "#n text"'s.
// Every method acts on the one client it is given; an id of another
// client's is not found.
type Service struct {
	Store bot.Store
	Clock bot.Clock
	T     bot.Translator
	// Brain holds the settings the SMS rules read: public URL, zones,
	// send window, support contact.
	Brain *Brain
	// Notify wakes the fan-out and the dispatcher after a commit that
	// queued work; nil: nobody (their polls find it).
	Notify func()
	// Pictures takes a picture from its URL (with an SSRF guard); nil:
	// pictures are refused.
	Pictures *bot.Pictures
}

// Reason is why the Service refused a request: a stable name the API
// turns into its problem type.
type Reason string

// Reasons for a refusal.
const (
	ReasonNotActive     Reason = "client-not-active"    // billing does not let the client send
	ReasonQuota         Reason = "quota-used-up"        // no announcement left this period
	ReasonNoSubscribers Reason = "no-subscribers"       // nobody on the list
	ReasonTooLong       Reason = "text-too-long"        // delivered form over MaxDelivered
	ReasonEmpty         Reason = "text-empty"           // neither text nor picture
	ReasonControl       Reason = "text-control"         // control characters
	ReasonSendAt        Reason = "send-at-out-of-range" // in the past or beyond MaxSchedule
	ReasonPicture       Reason = "picture-refused"      // not fetched, wrong type, too big, or scheduled
	ReasonFinished      Reason = "already-finished"     // HALT of one that is done or halted
	ReasonScheduled     Reason = "still-scheduled"      // HALT of one that has not started: cancel it
	ReasonNotScheduled  Reason = "not-scheduled"        // cancel of one that went out
	ReasonGone          Reason = "subscriber-gone"      // an answer's #n left the list or opted out
)

// Refused is a request the Service's rules refuse. It unwraps to a
// *bot.Error (EINVALID for what is wrong with the request, ECONFLICT for
// what the client's state forbids).
type Refused struct {
	Reason  Reason
	Message string
}

func (r *Refused) Error() string { return r.Message }

// Unwrap is the refusal as a bot.Error.
func (r *Refused) Unwrap() error {
	code := bot.ECONFLICT
	switch r.Reason {
	case ReasonTooLong, ReasonEmpty, ReasonControl, ReasonSendAt, ReasonPicture:
		code = bot.EINVALID
	}
	return &bot.Error{Code: code, Message: r.Message}
}

// refused is a refusal of the SMS rules as a *Refused.
func refused(no *refusal) error {
	if no == nil {
		return nil
	}
	r, ok := refusals[no.ID]
	if !ok {
		return fmt.Errorf("refusal %s has no API wording", no.ID)
	}
	return &Refused{Reason: r.reason, Message: r.message(no.Data)}
}

func refuse(reason Reason, format string, args ...any) error {
	return &Refused{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

var notActive = func(map[string]any) string {
	return "The client's plan is not active, so it cannot send announcements."
}

// refusals says the SMS refusals in the API's words.
var refusals = map[string]struct {
	reason  Reason
	message func(map[string]any) string
}{
	"NotActivePending": {ReasonNotActive, notActive}, "NotActivePastDue": {ReasonNotActive, notActive},
	"NotActiveCanceled": {ReasonNotActive, notActive}, "NotActiveSuspended": {ReasonNotActive, notActive},
	"ConfirmNoSubscribers": {ReasonNoSubscribers, func(map[string]any) string { return "Nobody is on the list yet." }},
	"ConfirmNoPayers": {ReasonNoSubscribers, func(map[string]any) string {
		return "Nobody pays for the list yet, and only paying members get its announcements."
	}},
	"ConfirmNoneLeft": {ReasonQuota, func(d map[string]any) string {
		return fmt.Sprintf("All %v announcements of this period are used.", d["Quota"])
	}},
	"DraftTooLong": {ReasonTooLong, func(d map[string]any) string {
		return fmt.Sprintf("As delivered the announcement is %v characters; the limit is %v.", d["Length"], d["Limit"])
	}},
	"LaterPicture":   {ReasonPicture, func(map[string]any) string { return "An announcement with a picture cannot be scheduled: send it now." }},
	"Picture_type":   {ReasonPicture, func(map[string]any) string { return "The picture is not a JPEG, PNG or GIF." }},
	"Picture_big":    {ReasonPicture, func(map[string]any) string { return "The picture is over 5 MB." }},
	"Picture_fetch":  {ReasonPicture, func(map[string]any) string { return "The picture could not be fetched from its URL." }},
	"AnswerHow":      {ReasonEmpty, func(map[string]any) string { return "The answer has no text." }},
	"AnswerControl":  {ReasonControl, func(map[string]any) string { return "The answer holds control characters." }},
	"AnswerOptedOut": {ReasonGone, func(d map[string]any) string { return fmt.Sprintf("#%v opted out: it is not texted.", d["N"]) }},
	"AnswerNotActive": {ReasonNotActive, func(map[string]any) string {
		return "The client's plan is suspended or canceled, so it cannot answer replies."
	}},
	"AnswerLeft": {ReasonGone, func(d map[string]any) string { return fmt.Sprintf("#%v left the list: it is not texted.", d["N"]) }},
	"AnswerTooLong": {ReasonTooLong, func(d map[string]any) string {
		return fmt.Sprintf("The answer is %v characters; the limit is %v.", d["Length"], d["Limit"])
	}},
}

// notFound is the answer for an id that is not this client's.
func notFound(what string) error { return bot.Errorf(bot.ENOTFOUND, "No such %s.", what) }

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC()
	}
	return s.Clock.Now()
}

// update runs fn on client p (ENOTFOUND if it is none) and a turn of its
// own conversation in one write transaction, and wakes the workers after.
func (s *Service) update(p bot.Phone, fn func(t *bot.Turn, c *bot.Client) error) error {
	now := s.now()
	err := s.Store.Update(func(tx bot.Tx) error {
		c, conv, err := clientTurn(tx, p)
		if err != nil {
			return err
		}
		return fn(&bot.Turn{Tx: tx, Now: now, T: s.T, Conv: conv}, c)
	})
	if err == nil && s.Notify != nil {
		s.Notify()
	}
	return err
}

// clientTurn loads client p and its conversation.
func clientTurn(tx bot.Tx, p bot.Phone) (*bot.Client, *bot.Conversation, error) {
	c, err := tx.Client(p)
	if err != nil {
		return nil, nil, fmt.Errorf("load client %s: %w", p, err)
	}
	if c == nil {
		return nil, nil, notFound("client")
	}
	conv, err := tx.Conversation(p)
	if err != nil {
		return nil, nil, fmt.Errorf("load client %s: %w", p, err)
	}
	return c, conv, nil
}

// Zone is the time zone client p's times are read in (a LATER time, a
// dashboard's send_at): its number's.
func (s *Service) Zone(p bot.Phone) *time.Location { return s.Brain.zone(p) }
