package bot

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Outbound webhook event types.
const (
	HookSubscriberJoined      = "subscriber.joined"
	HookSubscriberLeft        = "subscriber.left"
	HookSubscriberOptedOut    = "subscriber.opted_out"
	HookReplyReceived         = "reply.received"
	HookAnnouncementSent      = "announcement.sent"
	HookAnnouncementCompleted = "announcement.completed"
	HookLinkClicked           = "link.clicked"
	HookNumberReady           = "number.ready"
	// HookTest is the "send test event" of the console; it goes to the one
	// endpoint asked, whatever events it picked.
	HookTest = "webhook.test"
)

// HookEvents are the event types an endpoint may pick.
var HookEvents = []string{
	HookSubscriberJoined, HookSubscriberLeft, HookSubscriberOptedOut, HookReplyReceived,
	HookAnnouncementSent, HookAnnouncementCompleted, HookLinkClicked, HookNumberReady,
}

// HookAdmin owns the endpoints an admin registers: they hear every
// client's events.
const HookAdmin Phone = "admin"

// HookEndpoint is a URL that hears some events of its owner (a client's
// phone, or HookAdmin).
type HookEndpoint struct {
	ID        uint64    `json:"id"`
	Owner     Phone     `json:"owner"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret"` // whsec_ + base64 of the key; shown once
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	// DisabledAt and Why say when and why deliveries stopped trying.
	DisabledAt time.Time `json:"disabled_at,omitzero"`
	Why        string    `json:"why,omitempty"`
}

// Wants reports whether e is enabled and picked typ.
func (e *HookEndpoint) Wants(typ string) bool {
	return e.Enabled && slices.Contains(e.Events, typ)
}

// Delivery statuses.
const (
	HookPending   = "pending"
	HookDelivered = "delivered"
	HookFailed    = "failed" // given up: the endpoint was disabled or deleted
)

// HookDelivery is one event on its way to one endpoint: a row of a durable
// queue, written in the transaction of the event.
type HookDelivery struct {
	ID       uint64          `json:"id"`
	MsgID    string          `json:"msg_id"` // webhook-id: the same on every try
	Endpoint uint64          `json:"endpoint"`
	Owner    Phone           `json:"owner"`
	Type     string          `json:"type"`
	Body     json.RawMessage `json:"body"`
	Status   string          `json:"status"`
	Tries    int             `json:"tries"`
	// Code is the last answer's HTTP status (0: none came), Error why the
	// last try failed.
	Code      int       `json:"code,omitempty"`
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	NextAt    time.Time `json:"next_at,omitzero"` // when pending: the next try
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Hooks keeps webhook endpoints and their delivery queue.
type Hooks interface {
	// HookTargets returns the endpoints of owner and of HookAdmin that want
	// typ. With none registered it costs a lookup or two.
	HookTargets(owner Phone, typ string) ([]HookEndpoint, error)
	// HookEndpoint returns the endpoint, or nil.
	HookEndpoint(id uint64) (*HookEndpoint, error)
	// HookEndpoints returns owner's endpoints, or everyone's for "".
	HookEndpoints(owner Phone) ([]HookEndpoint, error)
	// PutHookEndpoint saves e, assigning an ID when it has none.
	PutHookEndpoint(e *HookEndpoint) error
	// DeleteHookEndpoint forgets the endpoint; its pending rows fail when due.
	DeleteHookEndpoint(id uint64) error
	// PutHookDelivery saves d, assigning an ID when it has none, and keeps
	// the due index in step with its Status and NextAt.
	PutHookDelivery(d *HookDelivery) error
	// HookDelivery returns the row, or nil.
	HookDelivery(id uint64) (*HookDelivery, error)
	// DueHookDeliveries returns up to n pending rows due by now.
	DueHookDeliveries(now time.Time, n int) ([]uint64, error)
	// HookDeliveries returns up to n rows, newest first, of the endpoint
	// (all for 0), looking among the newest 20·n rows only.
	HookDeliveries(endpoint uint64, n int) ([]HookDelivery, error)
}

// HookPayload is the JSON body of every delivery.
type HookPayload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// EmitHook queues typ with data for every endpoint of owner (and every
// admin endpoint) that wants it, in the caller's transaction: the rows
// commit with the event or not at all.
func EmitHook(tx Hooks, owner Phone, typ string, now time.Time, data any) error {
	eps, err := tx.HookTargets(owner, typ)
	if err != nil || len(eps) == 0 {
		return err
	}
	return queueHook(tx, eps, typ, now, data)
}

func queueHook(tx Hooks, eps []HookEndpoint, typ string, now time.Time, data any) error {
	body, err := json.Marshal(HookPayload{Type: typ, Timestamp: now.UTC(), Data: data})
	if err != nil {
		return fmt.Errorf("webhook %s: %w", typ, err)
	}
	for _, e := range eps {
		d := &HookDelivery{MsgID: "msg_" + randomID(), Endpoint: e.ID, Owner: e.Owner, Type: typ,
			Body: body, Status: HookPending, CreatedAt: now, NextAt: now}
		if err := tx.PutHookDelivery(d); err != nil {
			return fmt.Errorf("webhook %s: %w", typ, err)
		}
	}
	return nil
}

// TestHook queues a test event for endpoint e alone.
func TestHook(tx Hooks, e *HookEndpoint, now time.Time) error {
	return queueHook(tx, []HookEndpoint{*e}, HookTest, now, map[string]any{"endpoint": e.ID})
}

// NewHookSecret returns a fresh signing secret: "whsec_" and 32 random
// bytes in base64.
func NewHookSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// consentHook is the event a consent record is, or "".
func consentHook(k ConsentKind) string {
	switch k {
	case ConsentJoin, ConsentImport, ConsentAPI:
		return HookSubscriberJoined
	case ConsentLeave:
		return HookSubscriberLeft
	case ConsentOptOut, ConsentCarrierOptOut:
		return HookSubscriberOptedOut
	}
	return ""
}

// hookConsent emits the event of consent record r, when log also keeps
// webhooks (the store's transactions do), to the client of its list.
func hookConsent(log ConsentLog, r *ConsentRecord) error {
	typ := consentHook(r.Kind)
	tx, ok := log.(interface {
		Hooks
		Clients
	})
	if typ == "" || !ok {
		return nil
	}
	owner := Phone("")
	if r.Keyword != "" {
		c, err := tx.ClientByKeyword(r.Keyword)
		if err != nil {
			return err
		}
		if c != nil {
			owner = c.Phone
		}
	}
	return EmitHook(tx, owner, typ, r.At, consentData(r))
}

func consentData(r *ConsentRecord) map[string]any {
	return map[string]any{"phone": r.Phone, "keyword": r.Keyword, "at": r.At.UTC()}
}

// importHooks are the endpoints that hear an import's joins into c's list:
// looked up once per chunk.
func importHooks(tx Hooks, c *Client) ([]HookEndpoint, error) {
	if c == nil {
		return nil, nil
	}
	return tx.HookTargets(c.Phone, HookSubscriberJoined)
}

// joinedHook queues subscriber.joined for an imported row to eps.
func joinedHook(tx Hooks, eps []HookEndpoint, r *ConsentRecord) error {
	if len(eps) == 0 {
		return nil
	}
	return queueHook(tx, eps, HookSubscriberJoined, r.At, consentData(r))
}

// emitIf is EmitHook on tx when it keeps webhooks (the store's
// transactions do; narrow test doubles may not).
func emitIf(tx any, owner Phone, typ string, now time.Time, data any) error {
	h, ok := tx.(Hooks)
	if !ok {
		return nil
	}
	return EmitHook(h, owner, typ, now, data)
}

// announcementHook is the data of an announcement's events.
func announcementHook(a *Announcement) map[string]any {
	return map[string]any{"id": a.ID, "keyword": a.Keyword, "text": a.Text, "total": a.Total,
		"counts": a.Counts, "created_at": a.CreatedAt.UTC()}
}
