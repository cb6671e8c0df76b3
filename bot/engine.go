package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Inbound is one message a phone sent to the service.
type Inbound struct {
	SID       string // provider message id, for de-duplication
	From      Phone
	To        string
	Body      string
	NumMedia  int
	MediaURL  string // the first attachment's URL at the provider (MediaUrl0)
	MediaType string // its declared content type (MediaContentType0)
	Simulated bool   // from the console simulator: replies are captured, never sent
	// Picture is the first attachment, fetched and kept before the turn
	// (active clients only); PictureProblem says why it could not be.
	Picture        *Media
	PictureProblem string
	// OptOutType is STOP, START or HELP when the provider's own opt-out
	// handling (Twilio's Advanced Opt-Out) has already answered the phone.
	OptOutType string
}

// Reply is the inline answer to an inbound message; empty Text means none.
type Reply struct {
	Text string
}

// Brain is the conversation logic: it runs one turn inside a transaction.
type Brain interface {
	Turn(t *Turn) error
}

// Handler takes inbound messages; the Engine is one.
type Handler interface {
	Handle(ctx context.Context, in Inbound) (Reply, error)
}

var _ Handler = (*Engine)(nil)

// Engine runs one turn per inbound message: turns for the same phone are
// serialized, and the new state, the log and the reply are committed together
// before Handle returns.
type Engine struct {
	Store  Store
	Brain  Brain
	Clock  Clock
	T      Translator
	Notify func() // called after a commit that queued outbound messages
	Log    *slog.Logger
	// Observer hears each turn's outcome and time (metrics); nil is none.
	Observer Observer
	// DefaultLocale is the language of phones the service never heard from.
	DefaultLocale string
	// Pictures takes MMS pictures before a turn; nil ignores them.
	Pictures *Pictures

	locks [lockStripes]sync.Mutex
}

// lockStripes: a phone's lock is held across the commit wait, so phones that
// share a stripe wait on each other; many stripes keep that rare.
const lockStripes = 4096

// brainError marks a failure of the conversation logic (rolled back and
// answered with "something went wrong") as opposed to a storage failure
// (answered with an error so the provider retries).
type brainError struct{ err error }

func (e brainError) Error() string { return e.err.Error() }
func (e brainError) Unwrap() error { return e.err }

// Handle runs one turn for in and returns the reply to send inline. Each
// real (not simulated) message is reported to the Observer.
func (e *Engine) Handle(ctx context.Context, in Inbound) (Reply, error) {
	start := time.Now()
	r, outcome, err := e.handle(ctx, in)
	if !in.Simulated {
		Observe(e.Observer).Inbound(outcome, time.Since(start))
	}
	return r, err
}

func (e *Engine) handle(ctx context.Context, in Inbound) (Reply, TurnOutcome, error) {
	if !e.replaysInTurn(in) {
		if prev, seen, err := e.seen(in.SID); err != nil || seen {
			return Reply{Text: prev}, outcomeOf(seen, prev, err), err
		}
	}
	mu := &e.locks[stripe(in.From)]
	mu.Lock()
	defer mu.Unlock()
	if err := ctx.Err(); err != nil {
		return Reply{}, TurnError, err
	}
	e.takePicture(ctx, &in) // under the phone's lock, outside any transaction
	var reply string
	var queued int
	var replay bool
	err := e.Store.Batch(func(tx Tx) error {
		t, err := e.turn(tx, in)
		if t != nil {
			reply, queued, replay = t.replyText(), t.queued, t.replay
		}
		return err
	})
	var be brainError
	var refused *Error
	switch {
	case errors.Is(err, errForget):
		return Reply{Text: reply}, outcomeOf(false, reply, nil), nil
	case errors.As(err, &be):
		e.logger().Error("turn failed", "from", in.From, "sid", in.SID, "err", be.err)
		return Reply{Text: e.T.T(e.lang(in.From), "Oops", nil)}, TurnError, nil
	case errors.As(err, &refused):
		return Reply{}, TurnError, refused
	case err != nil:
		return Reply{}, TurnError, fmt.Errorf("commit turn: %w", err)
	}
	if queued > 0 && e.Notify != nil {
		e.Notify()
	}
	return Reply{Text: reply}, outcomeOf(replay, reply, nil), nil
}

// errForget rolls back the turn of an erased phone that is still erased
// once its turn has run (anything but START): it gets its compliance
// answer, and its number is written nowhere (no conversation, log, consent
// record or index), as the console's Erase promised.
var errForget = errors.New("erased phone: turn not kept")

// outcomeOf names a turn's end for the Observer.
func outcomeOf(replay bool, reply string, err error) TurnOutcome {
	switch {
	case err != nil:
		return TurnError
	case replay:
		return TurnReplay
	case reply == "":
		return TurnNoReply
	}
	return TurnReply
}

// lang is the phone's language, for a reply made outside its turn.
func (e *Engine) lang(p Phone) string {
	lang := e.DefaultLocale
	e.Store.View(func(tx Tx) error {
		if c, err := tx.Conversation(p); err == nil && c.Locale != "" {
			lang = c.Locale
		}
		return nil
	})
	return lang
}

// keywordGuesses are the words of body that a turn may look up as a
// keyword ("YOGA", "JOIN YOGA"): the whole text normalized and, when it is
// two words, the second. A guess only saves a request when it is right.
func keywordGuesses(body string) []string {
	norm := Normalize(body)
	if norm == "" || len(norm) > 40 {
		return nil
	}
	out := []string{norm}
	if _, rest, ok := strings.Cut(norm, " "); ok && rest != "" && !strings.Contains(rest, " ") {
		out = append(out, rest)
	}
	return out
}

// replaysInTurn: in's retry check is left to its turn (TurnReplays), unless
// in carries a picture, which the turn would fetch again first.
func (e *Engine) replaysInTurn(in Inbound) bool {
	r, ok := e.Store.(TurnReplays)
	return ok && r.ReplaysInTurn() && in.NumMedia == 0
}

// seen answers a provider's retry from a read transaction, without waiting
// for a commit; the turn checks again under the phone's lock for races.
func (e *Engine) seen(sid string) (reply string, seen bool, err error) {
	if sid == "" {
		return "", false, nil
	}
	err = e.Store.View(func(tx Tx) error {
		reply, seen, err = tx.InboundReply(sid)
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("dedupe lookup: %w", err)
	}
	return reply, seen, nil
}

func (e *Engine) turn(tx Tx, in Inbound) (*Turn, error) {
	now := e.Clock.Now()
	t := &Turn{Tx: tx, Now: now, In: in, T: e.T}
	if p, ok := tx.(TurnPrefetcher); ok {
		p.PrefetchTurn(in.SID, in.From, Phone(in.To), keywordGuesses(in.Body))
	}
	if in.SID != "" {
		prev, seen, err := tx.InboundReply(in.SID)
		if err != nil {
			return nil, fmt.Errorf("dedupe lookup: %w", err)
		}
		if seen {
			t.Replies, t.replay = []string{prev}, true
			return t, nil
		}
	}
	conv, err := tx.Conversation(in.From)
	if err != nil {
		return nil, fmt.Errorf("load conversation: %w", err)
	}
	if in.Simulated && !conv.FirstSeen.IsZero() && !conv.Simulated {
		return nil, Errorf(EINVALID, "%s has texted the service for real: simulate with a made-up number", in.From)
	}
	// Only a phone with no conversation yet can be an erased one (Erase
	// drops the conversation; START lifts the suppression).
	unknown := conv.FirstSeen.IsZero()
	if unknown {
		conv.FirstSeen = now
		if conv.Locale == "" { // an imported phone may have one
			conv.Locale = e.DefaultLocale
		}
	}
	conv.LastSeen = now
	conv.Simulated = in.Simulated
	t.Conv = conv
	if err := tx.AppendLog(LogEntry{Phone: in.From, At: now, Dir: DirIn, Body: in.Body, SID: in.SID, To: in.To}); err != nil {
		return nil, fmt.Errorf("log inbound: %w", err)
	}
	if err := e.Brain.Turn(t); err != nil {
		return nil, brainError{err}
	}
	if unknown {
		if erased, err := tx.Suppressed(in.From); err != nil {
			return nil, fmt.Errorf("suppression: %w", err)
		} else if erased {
			return t, errForget // answered, and nothing of it kept
		}
	}
	if err := tx.PutConversation(conv); err != nil {
		return nil, fmt.Errorf("save conversation: %w", err)
	}
	text := t.replyText()
	if text != "" {
		if err := tx.AppendLog(LogEntry{Phone: in.From, At: now, Dir: DirOut, Body: text}); err != nil {
			return nil, fmt.Errorf("log reply: %w", err)
		}
	}
	if in.SID != "" {
		if err := tx.PutInboundReply(in.SID, text, now); err != nil {
			return nil, fmt.Errorf("remember inbound: %w", err)
		}
	}
	return t, nil
}

func (e *Engine) logger() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.Default()
}

func stripe(p Phone) uint32 {
	h := fnv.New32a()
	h.Write([]byte(p))
	return h.Sum32() % lockStripes
}

// Turn is one inbound message being handled inside a transaction.
type Turn struct {
	Tx      Tx
	Now     time.Time
	In      Inbound
	Conv    *Conversation // the sender's conversation, saved after the turn
	T       Translator
	Replies []string
	queued  int
	replay  bool // in.SID was handled before: Replies is its stored reply
}

// Lang is the sender's language.
func (t *Turn) Lang() string {
	if t.Conv.Locale == "" {
		return English
	}
	return t.Conv.Locale
}

// Say adds a localized line to the inline reply.
func (t *Turn) Say(id string, data map[string]any) {
	t.Replies = append(t.Replies, t.T.T(t.Lang(), id, data))
}

// Wake has the engine call Notify after the commit: the turn queued work
// for the background workers (a message, or a fan-out to start).
func (t *Turn) Wake() { t.queued++ }

func (t *Turn) replyText() string {
	return strings.Join(t.Replies, "\n")
}

// Enqueue writes one outbound message to conv's phone in the outbox and logs
// it; an announcement is logged when it is sent instead (the store does it),
// so that a broadcast's commit does not touch every recipient's log. The
// caller has checked that the phone is not opted out (Text does). from is
// the sender: a client's own number, or "" for the service number.
func Enqueue(tx NoteTx, now time.Time, conv *Conversation, from Phone, body, kind string, prio Priority, announcement uint64) error {
	m := &OutMessage{
		To: conv.Phone, From: from, Body: body, Kind: kind, Priority: prio,
		AnnouncementID: announcement, Simulated: conv.Simulated,
		CreatedAt: now, UpdatedAt: now, NextAt: now,
	}
	if err := tx.Enqueue(m); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if kind == KindAnnouncement {
		return nil
	}
	if kind == KindOTP {
		body = RedactCodes(body)
	}
	if err := tx.AppendLog(LogEntry{Phone: conv.Phone, At: now, Dir: DirOut, Body: body}); err != nil {
		return fmt.Errorf("log outbound: %w", err)
	}
	return nil
}
