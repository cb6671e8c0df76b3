package bot

import (
	"fmt"
	"time"
)

// NoteTx is what texting a phone outside its turn needs of a transaction.
type NoteTx interface {
	Conversations
	Outbox
	Log
}

// Note is a text to a phone that did not just ask for it: a report, a
// billing notice, a console code, a message from a flow to another phone.
type Note struct {
	To       Phone
	Kind     string
	Priority Priority
	// Client and Default are the fallbacks of LangOf: the client's
	// language when To is a client, the service's default language.
	Client, Default string
	// Simulated captures the message instead of sending it even if To is a
	// real phone (its cause came from the console simulator).
	Simulated bool
	// From is the sender: a client's own number (SenderOf), or "" for the
	// service number.
	From Phone
	Body func(lang string) string
}

// Text is the one way to text a phone outside its turn: load its
// conversation, skip it if it opted out of the sender, choose the language by LangOf,
// and queue (and log) the message. It reports whether it queued.
func Text(tx NoteTx, now time.Time, n Note) (bool, error) {
	conv, err := tx.Conversation(n.To)
	if err != nil {
		return false, fmt.Errorf("text %s: load conversation: %w", n.To, err)
	}
	if conv.OptedOutOf(n.From) {
		return false, nil
	}
	if n.Simulated {
		conv.Simulated = true
	}
	body := n.Body(LangOf(conv, n.Client, n.Default))
	if err := Enqueue(tx, now, conv, n.From, body, n.Kind, n.Priority, 0); err != nil {
		return false, fmt.Errorf("text %s: %w", n.To, err)
	}
	return true, nil
}
