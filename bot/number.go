package bot

import "time"

// NumberKind is what kind of sender a number is (§11).
type NumberKind string

// Number kinds. A plan's Number setting is NumberShared (empty: the
// default), NumberLocal or NumberTollFree.
const (
	NumberShared   NumberKind = ""          // the service number, shared by every client on such a plan
	NumberService  NumberKind = "service"   // the service number itself, as a sender
	NumberLocal    NumberKind = "local"     // a US long code (A2P 10DLC)
	NumberTollFree NumberKind = "toll-free" // a US toll-free number
)

// NumberState is where a client's own number stands in its lifecycle:
// provisioning → verifying → ready (or rejected) → released.
type NumberState string

// Number states.
const (
	NumberProvisioning NumberState = "provisioning" // being bought (retried with backoff on failure)
	NumberVerifying    NumberState = "verifying"    // bought, waiting for carrier verification or registration
	NumberRejected     NumberState = "rejected"     // verification refused (Reason says why)
	NumberReady        NumberState = "ready"        // carries the client's messages
	NumberReleased     NumberState = "released"     // given back to Twilio after the grace period
)

// OwnNumber is a client's own number and its lifecycle (§11). A client
// without one (nil) sends from the service number.
type OwnNumber struct {
	Phone Phone       `json:"phone,omitempty"` // E.164, once bought or assigned
	Kind  NumberKind  `json:"kind"`
	State NumberState `json:"state"`
	// Since is when State was entered.
	Since time.Time `json:"since,omitzero"`
	// Rate is the segments per second an operator set for this number;
	// zero means the kind's default (NUDGES_LOCAL_RATE, NUDGES_TOLLFREE_RATE).
	Rate float64 `json:"rate,omitempty"`
	// Provider ids: the IncomingPhoneNumber, the client's Messaging
	// Service and its toll-free verification.
	PhoneSID        string `json:"phone_sid,omitempty"`
	ServiceSID      string `json:"service_sid,omitempty"`
	VerificationSID string `json:"verification_sid,omitempty"`
	// Reason is the rejection reason, or the last provisioning error.
	Reason string `json:"reason,omitempty"`
	// Tries and NextTry pace provisioning retries.
	Tries   int       `json:"tries,omitempty"`
	NextTry time.Time `json:"next_try,omitzero"`
	// ReleaseAt is when a canceled client's number is released (zero:
	// not scheduled).
	ReleaseAt time.Time `json:"release_at,omitzero"`
	// Link is the live REGISTER link to the toll-free verification form.
	Link BillLink `json:"link,omitzero"`
	// History is what happened to the number, oldest first (the last
	// HistoryKeep events), for the console.
	History []NumberEvent `json:"history,omitempty"`
}

// Ready reports whether n carries the client's messages.
func (n *OwnNumber) Ready() bool { return n != nil && n.State == NumberReady && n.Phone != "" }

// SenderOf is the sender a client's announcements and #n answers go
// from: its own number once ready, else the service number (empty).
func SenderOf(c *Client) Phone {
	if c != nil && c.Own.Ready() {
		return c.Own.Phone
	}
	return ""
}
