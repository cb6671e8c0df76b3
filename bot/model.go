// Package bot is the domain of Nudges: phones, conversations, clients, plans,
// subscriptions, announcements and outbound messages, the Engine that runs one
// inbound turn, the outbox Dispatcher, the state-machine helper every
// conversation step and the console login use (Machine), and the small
// interfaces they need. It imports none of the adapters (store, flows, webhooks, admin).
package bot

import (
	"slices"
	"time"
)

// Conversation is everything the service keeps about one phone: its language,
// compliance state, the step it is in, its announcement draft and loop guard.
type Conversation struct {
	Phone        Phone             `json:"phone"`
	Locale       string            `json:"locale,omitempty"`
	LocaleChosen bool              `json:"locale_chosen,omitempty"`
	Flow         string            `json:"flow,omitempty"`  // flow in progress, "" when none
	State        string            `json:"state,omitempty"` // fsm state inside Flow
	Vars         map[string]string `json:"vars,omitempty"`  // answers collected by the flow
	Strikes      int               `json:"strikes,omitempty"`
	StepAt       time.Time         `json:"step_at,omitzero"` // last message inside the flow
	OptedOut     bool              `json:"opted_out,omitempty"`
	OptedOutAt   time.Time         `json:"opted_out_at,omitzero"`
	OptOutLists  []string          `json:"opt_out_lists,omitempty"` // lists the opt-out ended
	// NumberOptOuts are the clients' own numbers this phone opted out of,
	// each apart (§11: a STOP is scoped to the number pair); OptedOut is
	// the service number's.
	NumberOptOuts map[Phone]NumberOptOut `json:"number_opt_outs,omitempty"`
	Draft         *Draft                 `json:"draft,omitempty"`
	Misses        []time.Time            `json:"misses,omitempty"` // recent "didn't understand" replies
	Simulated     bool                   `json:"simulated,omitempty"`
	FirstSeen     time.Time              `json:"first_seen,omitzero"`
	LastSeen      time.Time              `json:"last_seen,omitzero"`
	// ReplyAcks is when the phone was last told "Sent to <client>", by
	// the client's keyword (at most once a day each).
	ReplyAcks map[string]time.Time `json:"reply_acks,omitempty"`
	// Answered is when each client (by keyword) last answered one of the
	// phone's replies: like an announcement, it opens the reply window.
	Answered map[string]time.Time `json:"answered,omitempty"`
}

// ClearStep leaves any flow in progress.
func (c *Conversation) ClearStep() {
	c.Flow, c.State, c.Vars, c.Strikes, c.StepAt = "", "", nil, 0, time.Time{}
}

// Var returns a flow variable.
func (c *Conversation) Var(k string) string { return c.Vars[k] }

// SetVar stores a flow variable.
func (c *Conversation) SetVar(k, v string) {
	if c.Vars == nil {
		c.Vars = map[string]string{}
	}
	c.Vars[k] = v
}

// Draft is a client's announcement waiting for CONFIRM.
type Draft struct {
	Text  string    `json:"text"` // as delivered: links already shortened
	At    time.Time `json:"at"`
	Links []Link    `json:"links,omitempty"`
	Media *Media    `json:"media,omitempty"`
}

// Link is a tracked link of an announcement: subscribers get
// {public URL}/l/{Code}, which redirects to URL and counts a click.
type Link struct {
	Code string `json:"code"`
	URL  string `json:"url"`
}

// Media is the picture of an MMS announcement, kept by the service and
// served at URL ({public URL}/m/{Token}).
type Media struct {
	Token string `json:"token"`
	Type  string `json:"type"` // image/jpeg, image/png or image/gif
	Size  int    `json:"size"`
	URL   string `json:"url"`
}

// ClientStatus is where a client stands with billing.
type ClientStatus string

// Client statuses.
const (
	ClientPending   ClientStatus = "pending"
	ClientActive    ClientStatus = "active"
	ClientPastDue   ClientStatus = "past_due"
	ClientCanceled  ClientStatus = "canceled"
	ClientSuspended ClientStatus = "suspended"
)

// Client is a business or creator that broadcasts to its list.
type Client struct {
	Phone   Phone        `json:"phone"`
	Name    string       `json:"name"`
	Keyword string       `json:"keyword"` // upper case, unique
	Status  ClientStatus `json:"status"`
	// ResumeStatus is where billing stands while Status is suspended: an
	// operator's resume restores it, and Stripe events keep it current.
	ResumeStatus   ClientStatus `json:"resume_status,omitempty"`
	PlanID         uint64       `json:"plan_id"`
	PeriodStart    time.Time    `json:"period_start,omitzero"`
	PeriodEnd      time.Time    `json:"period_end,omitzero"`
	Used           int          `json:"used"` // announcements confirmed this period
	Subscribers    int          `json:"subscribers"`
	CustomerID     string       `json:"customer_id,omitempty"`
	SubscriptionID string       `json:"subscription_id,omitempty"`
	CheckoutID     string       `json:"checkout_id,omitempty"` // pending checkout session
	// Checkout is where the pending session pays, while it is open: the
	// payment link opens it again rather than making another.
	Checkout    OpenCheckout `json:"checkout,omitzero"`
	PayToken    string       `json:"pay_token,omitempty"` // secret in the SMS payment link
	BillLink    BillLink     `json:"bill_link,omitzero"`  // the live billing link
	WebLink     BillLink     `json:"web_link,omitzero"`   // the live dashboard login link (WEB)
	LastEventAt int64        `json:"last_event_at,omitempty"`
	Locale      string       `json:"locale,omitempty"`
	// Number is the service number the client signed up through (the
	// inbound To), for its subscribers to text when no fixed sender is set.
	Number    string    `json:"number,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	LiveAt    time.Time `json:"live_at,omitzero"`
	// Welcome is the client's line added to its join confirmation (WELCOME).
	Welcome string `json:"welcome,omitempty"`
	// RepliesOff: subscribers' replies are not forwarded (REPLIES OFF).
	RepliesOff bool `json:"replies_off,omitempty"`
	// LastAnnouncedAt is when the client's last broadcast started: its
	// subscribers' texts in the next 72 hours are replies to it.
	LastAnnouncedAt time.Time `json:"last_announced_at,omitzero"`
	// Handles is the last #n handle given to one of its subscribers.
	Handles int `json:"handles,omitempty"`
	// LastAnnouncement is the id of the latest one confirmed (for STATS).
	LastAnnouncement uint64 `json:"last_announcement,omitempty"`
	// Own is the client's own number (§11); nil: it sends from the
	// service number.
	Own *OwnNumber `json:"own,omitempty"`
	// Discount is the discount code the client gave (CODE, or with its
	// plan at signup), and DiscountFrom when it first paid with it (zero
	// before).
	Discount     string    `json:"discount,omitempty"`
	DiscountFrom time.Time `json:"discount_from,omitzero"`
	// TrialEnd is when the client's free trial ends, while it has one.
	TrialEnd time.Time `json:"trial_end,omitzero"`
	// Payouts is the client's connected account for a paid list (PAYOUTS).
	Payouts Payouts `json:"payouts,omitzero"`
}

// Clone is a deep copy of c: changing it changes nothing in c. A field
// holding a pointer, slice or map must be copied here (TestClientCloneIsDeep
// fails on one that is not).
func (c *Client) Clone() *Client {
	d := *c
	if c.Own != nil {
		own := *c.Own
		own.History = slices.Clone(c.Own.History)
		d.Own = &own
	}
	d.Payouts.Joins = slices.Clone(c.Payouts.Joins)
	return &d
}

// OpenCheckout is a Checkout Session a payment link can send the client back
// to: its URL, the Stripe price it charges and when Stripe expires it.
type OpenCheckout struct {
	URL     string    `json:"url,omitempty"`
	Price   string    `json:"price,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	Code    string    `json:"code,omitempty"` // the discount code it carries
}

// DropCheckout forgets the client's pending Checkout Session.
func (c *Client) DropCheckout() { c.CheckoutID, c.Checkout = "", OpenCheckout{} }

// Joinable reports whether the client's list takes new members: while it
// is active or its payment is only late.
func (c *Client) Joinable() bool { return c.Status == ClientActive || c.Status == ClientPastDue }

// CanBroadcast reports whether the client's billing lets it send.
func (c *Client) CanBroadcast() bool { return c.Status == ClientActive }

// Interval is a plan's billing period.
type Interval string

// Billing intervals.
const (
	Week  Interval = "week"
	Month Interval = "month"
	Year  Interval = "year"
)

// Plan is what a client pays for.
type Plan struct {
	ID              uint64   `json:"id"`
	Name            string   `json:"name"`
	Description     string   `json:"description,omitempty"`
	PriceMinor      int64    `json:"price_minor"` // cents
	Currency        string   `json:"currency"`    // lower case ISO 4217
	Interval        Interval `json:"interval"`
	Quota           int      `json:"quota"` // announcements per period
	Active          bool     `json:"active"`
	StripeProductID string   `json:"stripe_product_id,omitempty"`
	StripePriceID   string   `json:"stripe_price_id,omitempty"`
	// Number is the sender a client on this plan gets: shared (the
	// service number), local or toll-free (§11).
	Number NumberKind `json:"number,omitempty"`
	// TrialDays is the free trial a new client's subscription starts with.
	TrialDays int       `json:"trial_days,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Subscription is one phone on one client's list.
type Subscription struct {
	Keyword  string    `json:"keyword"`
	Phone    Phone     `json:"phone"`
	JoinedAt time.Time `json:"joined_at"`
	// NoticeAt is when the phone last got the opt-out line; zero means the
	// next announcement carries it.
	NoticeAt time.Time `json:"notice_at,omitzero"`
	// Source is how the phone came on the list: its text and MessageSid,
	// or the import.
	Source string `json:"source,omitempty"`
	// HeardFrom is the client's own number this phone knows the list
	// texts from (it joined through it, or was told so in the first
	// message from it); empty: the service number.
	HeardFrom Phone `json:"heard_from,omitempty"`
	// Paid is the provider subscription the phone pays a paid list
	// through; empty for a free membership.
	Paid string `json:"paid,omitempty"`
	// PaidUntil is the end of the period the phone paid for, as the
	// provider last said; zero when unknown.
	PaidUntil time.Time `json:"paid_until,omitzero"`
	// PaidEnds is set when the phone asked to cancel (LEAVE): its
	// announcements stop then; zero while it keeps paying.
	PaidEnds time.Time `json:"paid_ends,omitzero"`
}

// Priority orders the outbox: replies and codes before bulk.
type Priority uint8

// Outbox priorities, most urgent first.
const (
	PriorityHigh Priority = 0
	PriorityBulk Priority = 1
)

// MessageStatus is where an outbound message stands.
type MessageStatus string

// Outbound message statuses.
const (
	StatusQueued      MessageStatus = "queued"
	StatusSending     MessageStatus = "sending"
	StatusSent        MessageStatus = "sent"
	StatusDelivered   MessageStatus = "delivered"
	StatusUndelivered MessageStatus = "undelivered"
	StatusFailed      MessageStatus = "failed"
	StatusUnknown     MessageStatus = "unknown" // in flight when the process died; never resent
	StatusSkipped     MessageStatus = "skipped" // recipient opted out before it went
	StatusHalted      MessageStatus = "halted"  // dropped unsent when the client halted the announcement
)

// Settled reports whether a message will not be sent (again).
func (s MessageStatus) Settled() bool {
	return s != StatusQueued && s != StatusSending
}

// OutMessage is one outbound SMS in the durable outbox.
type OutMessage struct {
	ID uint64 `json:"id"`
	To Phone  `json:"to"`
	// From is the sender (§11): a client's own number, or empty for the
	// service number. The dispatcher paces each sender on its own.
	From           Phone         `json:"from,omitempty"`
	Body           string        `json:"body"`
	Kind           string        `json:"kind"` // reply, otp, billing, report, announcement
	Priority       Priority      `json:"priority"`
	Status         MessageStatus `json:"status"`
	Tries          int           `json:"tries,omitempty"`
	NextAt         time.Time     `json:"next_at,omitzero"`
	SID            string        `json:"sid,omitempty"`
	ErrorCode      int           `json:"error_code,omitempty"`
	Error          string        `json:"error,omitempty"`
	AnnouncementID uint64        `json:"announcement_id,omitempty"`
	Simulated      bool          `json:"simulated,omitempty"`
	// MediaURL is the picture an MMS carries (an announcement's Media.URL).
	MediaURL  string    `json:"media_url,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Message kinds.
const (
	KindReply        = "reply"
	KindOTP          = "otp"
	KindBilling      = "billing"
	KindReport       = "report"
	KindAnnouncement = "announcement"
)

// Announcement is one confirmed broadcast and its delivery counts.
type Announcement struct {
	ID        uint64                `json:"id"`
	Client    Phone                 `json:"client"`
	Keyword   string                `json:"keyword"`
	Text      string                `json:"text"`
	Total     int                   `json:"total"`
	Counts    map[MessageStatus]int `json:"counts"`
	Settled   int                   `json:"settled"`
	Reported  bool                  `json:"reported"`
	Links     []Link                `json:"links,omitempty"` // tracked links in Text
	Media     *Media                `json:"media,omitempty"` // the picture of an MMS
	CreatedAt time.Time             `json:"created_at"`
	DoneAt    time.Time             `json:"done_at,omitzero"`
	// Planned is the list's size at CONFIRM: what "sending to N" said.
	Planned int `json:"planned,omitempty"`
	// Fanning is set while the fan-out is still adding recipients (or,
	// once Halted, has its unsent rows to drop); Total counts the rows
	// added so far and the announcement cannot complete.
	Fanning bool `json:"fanning,omitempty"`
	// Cursor is the last phone of the list the fan-out has covered, saved
	// in the same transaction as the rows it added.
	Cursor Phone `json:"cursor,omitempty"`
	// Simulated: sent from the console simulator, every recipient's message
	// is captured, never sent.
	Simulated bool `json:"simulated,omitempty"`
	// FirstRow and LastRow bound the outbox ids of its rows (other messages
	// may sit between them); retention walks that range.
	FirstRow uint64 `json:"first_row,omitempty"`
	LastRow  uint64 `json:"last_row,omitempty"`
	// FoldedTo is the outbox id retention has folded up to; Folded is set
	// once every per-recipient row is gone and only the counts are left.
	FoldedTo uint64 `json:"folded_to,omitempty"`
	Folded   bool   `json:"folded,omitempty"`
	// Halted: the client stopped it; rows not sent yet are settled halted.
	Halted bool `json:"halted,omitempty"`
	// Cut is how many recipients a HALT kept the fan-out from adding.
	Cut int `json:"cut,omitempty"`
	// Held counts the rows the send window holds back, by when they are
	// due (see Waiting).
	Held []Held `json:"held,omitempty"`
}

// Direction of a conversation-log entry.
const (
	DirIn  = "in"
	DirOut = "out"
)

// LogEntry is one line of a phone's conversation log.
type LogEntry struct {
	Phone Phone     `json:"phone"`
	At    time.Time `json:"at"`
	Dir   string    `json:"dir"`
	Body  string    `json:"body"`
	SID   string    `json:"sid,omitempty"` // an inbound message's MessageSid
	To    string    `json:"to,omitempty"`  // the service number it came to
}

// ClickWindow: the same visitor's clicks on a tracked link count once per
// window.
const ClickWindow = time.Hour
