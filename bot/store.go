package bot

import (
	"errors"
	"time"
)

// Store runs functions inside database transactions. Update commits only if fn
// returns nil. Batch is Update that may be grouped with concurrent callers:
// fn may run more than once, so it must have no effect outside tx.
type Store interface {
	View(fn func(tx Tx) error) error
	Update(fn func(tx Tx) error) error
	Batch(fn func(tx Tx) error) error
	// TxLimit is the most keys one write transaction may read and write
	// (etcd's max-txn-ops), 0 if there is no such limit (bbolt).
	TxLimit() int
}

// ErrTxTooLarge is a write transaction beyond the store's limits: do the
// work in smaller chunks.
var ErrTxTooLarge = errors.New("transaction too large for the store")

// fit is n, or fewer when a write transaction touching about per keys for
// each of n items would pass the store's limit (never less than 1).
func fit(s Store, n, per int) int {
	limit := s.TxLimit()
	if limit <= 0 || n*per <= limit {
		return n
	}
	return max(1, limit/per)
}

// Tx is the repository view of one transaction. Lookups of something missing
// return nil and no error. Values returned are copies, safe after the
// transaction ends.
type Tx interface {
	Conversations
	Clients
	Subscriptions
	Plans
	Outbox
	Sends
	Lanes
	Broadcasts
	Folds
	Inbounds
	Log
	EventLog
	Schedules
	Handles
	Forwards
	ConsentLog
	Suppressions
	Exports
	Assets
	Discounts
	APIKeys
	Answers
	Hooks
	Threads
	ReplyCounts
	ClientAnnouncements
	PaidCancels
}

// Assets keeps what an announcement carries besides its text: tracked
// links and the picture of an MMS.
type Assets interface {
	// PutLinks registers an announcement's tracked links; a code already
	// taken is an error.
	PutLinks(announcement uint64, links []Link) error
	// Clicks is how many counted clicks the links have had.
	Clicks(links []Link) (int, error)
	// ClaimMedia ties a kept picture to its announcement, so that it stays
	// as long as the announcement's rows do.
	ClaimMedia(token string, announcement uint64) error
}

// Conversations keeps per-phone state.
type Conversations interface {
	// Conversation returns the phone's conversation, or a new one (Phone set,
	// FirstSeen zero) if the service never heard from it.
	Conversation(p Phone) (*Conversation, error)
	PutConversation(c *Conversation) error
}

// Clients keeps clients and their keyword index.
type Clients interface {
	Client(p Phone) (*Client, error)
	ClientByKeyword(keyword string) (*Client, error)
	ClientByPayToken(token string) (*Client, error)
	ClientBySubscription(stripeSubscriptionID string) (*Client, error)
	// ClientByNumber returns the client whose own number (Own.Phone) is p.
	ClientByNumber(p Phone) (*Client, error)
	// PutClient saves c and keeps the keyword and token indexes in step.
	PutClient(c *Client) error
	EachClient(fn func(*Client) error) error
}

// Subscriptions keeps list membership, indexed both by list and by phone.
type Subscriptions interface {
	// Subscribe adds p to the list; false if it was already on it. It keeps
	// the client's subscriber count in step.
	Subscribe(keyword string, p Phone, at time.Time) (bool, error)
	// Unsubscribe removes p from the list; false if it was not on it.
	Unsubscribe(keyword string, p Phone) (bool, error)
	// SubscriptionsOf returns p's lists, oldest first.
	SubscriptionsOf(p Phone) ([]Subscription, error)
	// Subscribed reports whether p is on the list.
	Subscribed(keyword string, p Phone) (bool, error)
	// EachSubscriber calls fn for every phone on the list, in phone order.
	EachSubscriber(keyword string, fn func(Subscription) error) error
	PutSubscription(s Subscription) error
	// AddSubscription is Subscribe with the subscription's own JoinedAt and
	// Source.
	AddSubscription(s Subscription) (bool, error)
	// AddSubscriptions adds each of subs not already there; added[i] tells
	// which. Client counts are updated once per list.
	AddSubscriptions(subs []Subscription) (added []bool, err error)
}

// Plans keeps the plans clients can buy.
type Plans interface {
	Plan(id uint64) (*Plan, error)
	// Plans returns every plan, oldest first.
	Plans() ([]Plan, error)
	// PutPlan saves p, assigning an ID when p.ID is zero.
	PutPlan(p *Plan) error
}

// Outbox is the durable queue of outbound messages.
type Outbox interface {
	// Enqueue assigns m an ID, marks it queued and makes it due.
	Enqueue(m *OutMessage) error
	OutMessage(id uint64) (*OutMessage, error)
	PutAnnouncement(a *Announcement) error
	Announcement(id uint64) (*Announcement, error)
}

// Inbounds remembers inbound messages by their provider id so that a retried
// webhook gets the same answer and runs nothing again.
type Inbounds interface {
	InboundReply(sid string) (reply string, seen bool, err error)
	PutInboundReply(sid, reply string, at time.Time) error
}

// Log keeps each phone's conversation log.
type Log interface {
	AppendLog(e LogEntry) error
}

// Broadcasts is what a fan-out needs beyond one message at a time: a list
// read a page at a time and rows written many at once.
type Broadcasts interface {
	// AudiencePage returns up to n subscriptions on keyword's list after the
	// phone after ("" = from the start), in phone order, and beside each the
	// subscriber's conversation with Phone, Locale, LocaleChosen, OptedOut
	// and Simulated filled in.
	AudiencePage(keyword string, after Phone, n int) ([]Subscription, []Conversation, error)
	// EnqueueBulk assigns each message an ID, marks it queued and makes it
	// due at its NextAt, as Enqueue does one by one.
	EnqueueBulk(msgs []OutMessage) error
	// PutSubscriptions saves subscriptions read in this transaction.
	PutSubscriptions(subs []Subscription) error
	// Fanning returns the ids of announcements whose fan-out is unfinished
	// (Announcement.Fanning), oldest first.
	Fanning() ([]uint64, error)
	// ListGroups counts keyword's list by the first ZonePrefixLen
	// characters of its phones, from counts kept beside the list.
	ListGroups(keyword string) ([]PhoneGroup, error)
}

// TurnPrefetcher is a Tx that can read at once what a turn of an inbound
// text is about to read (on etcd one request instead of one per key). It
// only saves round trips: a turn reads the same with or without it.
type TurnPrefetcher interface {
	// PrefetchTurn reads what a turn of sid from from to to reads first,
	// and what it reads of each of words if that is a keyword.
	PrefetchTurn(sid string, from, to Phone, words []string)
}

// Contender is a Tx that knows whether other writes wait for it to commit
// (bbolt's one writer and its group commit). A long transaction that can
// stop early and go on in the next one (a fan-out chunk) should, so that
// an inbound turn does not wait for all of its work.
type Contender interface {
	Waiting() bool
}

// BulkBatcher is a Store whose Batch can take bulk work (a fan-out chunk)
// that gives way to the interactive writes waiting for the same writer: they
// commit first, in transactions of their own, so that an inbound turn does
// not wait for the chunk's work and writes. The bulk work still gets the
// writer at least every so often. A wrapper that embeds a store and
// overrides Batch must override BulkBatch too, or the fan-out bypasses it.
type BulkBatcher interface {
	BulkBatch(fn func(tx Tx) error) error
}

// TurnReplays is a Store whose read transactions cost a request to the
// database each (etcd). Its engine checks a retried MessageSid only inside
// the turn, which reads the record in its first request anyway, instead of
// also in a read transaction before the turn (which on bbolt answers a
// retry without waiting for a commit).
type TurnReplays interface {
	ReplaysInTurn() bool
}
