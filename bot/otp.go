package bot

import (
	"errors"
	"fmt"
	"time"
)

// OTPState is where one phone's console login code stands.
type OTPState string

// OTP states. The zero state "" means no code was ever requested.
const (
	OTPNone      OTPState = ""
	OTPRequested OTPState = "requested" // a code is made but its SMS not queued yet
	OTPSent      OTPState = "sent"      // the SMS is queued; the code may be checked
	OTPVerified  OTPState = "verified"  // the code was used (single use)
	OTPLocked    OTPState = "locked"    // too many wrong checks, or expired
)

// otpEvent is what happens to a login code.
type otpEvent string

// OTP events.
const (
	otpRequest otpEvent = "request"
	otpSend    otpEvent = "send"
	otpVerify  otpEvent = "verify"
	otpMiss    otpEvent = "miss"
	otpLock    otpEvent = "lock"
)

// OTPRecord is the stored login state of one phone. Hash is the keyed hash of
// the current code (never the code itself); an empty Hash matches nothing.
type OTPRecord struct {
	Phone     Phone       `json:"phone"`
	State     OTPState    `json:"state"`
	Hash      string      `json:"hash,omitempty"`
	IssuedAt  time.Time   `json:"issued_at,omitzero"`
	ExpiresAt time.Time   `json:"expires_at,omitzero"`
	Checks    int         `json:"checks"`
	Issued    []time.Time `json:"issued,omitempty"` // codes issued in the last window
}

// OTPPolicy holds the limits of SPEC §7.
type OTPPolicy struct {
	TTL        time.Duration // a code's lifetime
	MaxChecks  int           // checks per code
	MaxCodes   int           // codes per phone per Window
	Window     time.Duration
	ResendWait time.Duration // between two codes for one phone
}

// DefaultOTPPolicy is SPEC §7: 10 minutes, 5 checks, 5 codes an hour, 30 s.
var DefaultOTPPolicy = OTPPolicy{
	TTL: 10 * time.Minute, MaxChecks: 5, MaxCodes: 5, Window: time.Hour, ResendWait: 30 * time.Second,
}

// Reasons a request or a check is refused; each is a *bot.Error.
var (
	ErrOTPWait     = Errorf(ELIMIT, "wait before asking for another code")
	ErrOTPTooMany  = Errorf(ELIMIT, "too many codes requested for this phone")
	ErrOTPWrong    = Errorf(EINVALID, "that code is not right")
	ErrOTPExpired  = Errorf(EINVALID, "that code has expired")
	ErrOTPLocked   = Errorf(ELIMIT, "too many wrong tries for this code")
	ErrOTPNoCode   = Errorf(EINVALID, "no code is waiting for this phone")
	errOTPBadState = errors.New("stored otp state is unknown")
)

type otpTransition = Transition[OTPState, otpEvent]

// otpFlow is a console login code's life: requested, its SMS queued, then
// used once or locked.
var otpFlow = NewMachine("otp",
	otpTransition{Event: otpRequest, Src: []OTPState{OTPNone, OTPRequested, OTPSent, OTPVerified, OTPLocked}, Dst: OTPRequested},
	otpTransition{Event: otpSend, Src: []OTPState{OTPRequested}, Dst: OTPSent},
	otpTransition{Event: otpVerify, Src: []OTPState{OTPSent}, Dst: OTPVerified},
	otpTransition{Event: otpMiss, Src: []OTPState{OTPSent}, Dst: OTPSent},
	otpTransition{Event: otpLock, Src: []OTPState{OTPSent}, Dst: OTPLocked},
)

// fireOTP moves r through ev from its stored state. A self-loop is success;
// a stored state the machine does not know is errOTPBadState.
func fireOTP(r *OTPRecord, ev otpEvent) error {
	if !otpFlow.Has(r.State) {
		return fmt.Errorf("%w: %q", errOTPBadState, r.State)
	}
	next, err := otpFlow.Fire(r.State, ev)
	if err != nil {
		return err
	}
	r.State = next
	return nil
}

// WaitLeft is how long r's phone must wait before it may ask for a new code.
func (p OTPPolicy) WaitLeft(r *OTPRecord, now time.Time) time.Duration {
	if r.IssuedAt.IsZero() {
		return 0
	}
	if left := r.IssuedAt.Add(p.ResendWait).Sub(now); left > 0 {
		return left
	}
	return 0
}

// Request starts a new code whose keyed hash is hash, unless the resend wait
// or the hourly limit refuses it (ErrOTPWait, ErrOTPTooMany; r unchanged).
func (p OTPPolicy) Request(r *OTPRecord, now time.Time, hash string) error {
	recent := r.Issued[:0:0]
	for _, at := range r.Issued {
		if now.Sub(at) < p.Window {
			recent = append(recent, at)
		}
	}
	if p.WaitLeft(r, now) > 0 {
		return ErrOTPWait
	}
	if len(recent) >= p.MaxCodes {
		return ErrOTPTooMany
	}
	if err := fireOTP(r, otpRequest); err != nil {
		return err
	}
	r.Issued = append(recent, now)
	r.Hash, r.IssuedAt, r.ExpiresAt, r.Checks = hash, now, now.Add(p.TTL), 0
	return nil
}

// Sent records that the SMS carrying the code is in the outbox.
func (p OTPPolicy) Sent(r *OTPRecord) error { return fireOTP(r, otpSend) }

// Check uses one of the code's checks. match reports whether the submitted
// code's hash equals the stored one (constant time; false for an empty hash).
// It returns nil when the code is right: the record is then verified and the
// code spent. Otherwise ErrOTPWrong (a wrong check that uses the last try
// also locks the code), ErrOTPLocked (every check after that), ErrOTPExpired
// or ErrOTPNoCode.
func (p OTPPolicy) Check(r *OTPRecord, now time.Time, match func(hash string) bool) error {
	switch r.State {
	case OTPLocked:
		return ErrOTPLocked
	case OTPSent:
	default:
		return ErrOTPNoCode
	}
	if !now.Before(r.ExpiresAt) {
		r.Hash = ""
		if err := fireOTP(r, otpLock); err != nil {
			return err
		}
		return ErrOTPExpired
	}
	r.Checks++
	if r.Hash != "" && match(r.Hash) {
		r.Hash = ""
		return fireOTP(r, otpVerify)
	}
	if r.Checks >= p.MaxChecks {
		r.Hash = ""
		if err := fireOTP(r, otpLock); err != nil {
			return err
		}
		return ErrOTPWrong
	}
	if err := fireOTP(r, otpMiss); err != nil {
		return err
	}
	return ErrOTPWrong
}

// ChecksLeft is how many checks the current code has left.
func (p OTPPolicy) ChecksLeft(r *OTPRecord) int {
	if r.State != OTPSent {
		return 0
	}
	return max(p.MaxChecks-r.Checks, 0)
}
