package bot

import "time"

// TurnOutcome is how an inbound message ended, for metrics.
type TurnOutcome string

// Inbound outcomes.
const (
	TurnReply    TurnOutcome = "reply"    // committed, answered with a reply
	TurnNoReply  TurnOutcome = "no_reply" // committed, answered with none
	TurnReplay   TurnOutcome = "replay"   // a MessageSid seen before: its stored reply again
	TurnRejected TurnOutcome = "rejected_signature"
	TurnError    TurnOutcome = "error" // failed: the provider is asked to retry, or "something went wrong"
)

// TurnOutcomes lists every outcome, for metrics that show zeros.
var TurnOutcomes = []TurnOutcome{TurnReply, TurnNoReply, TurnReplay, TurnRejected, TurnError}

// Observer hears what the service does, for metrics. Its methods are called
// on the hot path: they must be cheap and never block.
type Observer interface {
	// Inbound is called once per inbound webhook; took is zero for a
	// rejected signature (no turn ran).
	Inbound(outcome TurnOutcome, took time.Duration)
	// Outbound is called when n outbound messages reach status: sent,
	// queued again for a retry, failed or unknown after a send, delivered
	// or undelivered from a delivery receipt.
	Outbound(status MessageStatus, n int)
	// Commit is called after each write transaction with the time its
	// commit took (writing and syncing the file, after the changes were made).
	Commit(took time.Duration)
	// Retried is called after a write transaction that had to run again
	// n times because what it read changed before its commit (etcd's
	// optimistic transactions; never on bbolt, which has one writer).
	Retried(n int)
}

// NopObserver ignores everything; a nil Observer means it.
type NopObserver struct{}

// Inbound implements Observer.
func (NopObserver) Inbound(TurnOutcome, time.Duration) {}

// Outbound implements Observer.
func (NopObserver) Outbound(MessageStatus, int) {}

// Commit implements Observer.
func (NopObserver) Commit(time.Duration) {}

// Retried implements Observer.
func (NopObserver) Retried(int) {}

// Observe returns o, or NopObserver when o is nil.
func Observe(o Observer) Observer {
	if o == nil {
		return NopObserver{}
	}
	return o
}

// Gauges are counts of the service's state, read when metrics are scraped.
// A store fills them from counts it keeps, in one read transaction, without
// reading every row.
type Gauges struct {
	Outbox      map[Priority]int     // messages queued to send, by priority
	Waiting     int                  // announcements queued with a due time after now (the send window's backlog)
	Subscribers int                  // list memberships (a phone on two lists counts twice)
	Clients     map[ClientStatus]int // clients by status
	Numbers     map[NumberState]int  // clients' own numbers by state
	// BySender is the queue by sender kind: NumberService for the service
	// number, NumberLocal or NumberTollFree for clients' own numbers.
	BySender map[NumberKind]int
}
