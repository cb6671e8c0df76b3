package bot

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"
)

// NumberProvider buys, verifies and releases clients' own numbers (§11).
// webhooks/twilio implements it against Twilio's REST API; DevNumbers is
// the console SMS driver's (dev mode). Calls reach the network, so they
// never run inside a store transaction: the caller loads the client, calls
// the provider, then saves what it returned in a new transaction.
type NumberProvider interface {
	// Provision makes sure c has a number of c.Own.Kind and returns c.Own
	// updated: Phone, PhoneSID, ServiceSID set and State NumberVerifying
	// (or NumberReady when the number needs no verification, as in dev
	// mode). It is crash-safe: run again for the same client it finds the
	// number it bought before instead of buying a second one.
	Provision(ctx context.Context, c Client) (OwnNumber, error)
	// Verification reports where the number's carrier verification stands:
	// NumberReady once approved, NumberRejected with the reason, or
	// NumberVerifying while pending.
	Verification(ctx context.Context, n OwnNumber) (state NumberState, reason string, err error)
	// Release gives the number back to the provider.
	Release(ctx context.Context, n OwnNumber) error
}

// DevNumbers is the dev-mode NumberProvider (console SMS driver, no
// Twilio): it assigns a fictional +1 555 01xx xxxx number, ready at once,
// derived from the client's phone so that the same client always gets the
// same number. A number another client holds already is avoided by
// trying again with Own.Tries raised.
type DevNumbers struct{}

var _ NumberProvider = DevNumbers{}

// Provision implements NumberProvider.
func (DevNumbers) Provision(_ context.Context, c Client) (OwnNumber, error) {
	n := OwnNumber{Kind: NumberLocal, State: NumberReady}
	if c.Own != nil {
		n = *c.Own
		n.State = NumberReady
	}
	n.Phone = DevNumberFor(c.Phone, n.Tries)
	n.PhoneSID = "PNdev" + string(n.Phone[1:])
	n.Reason, n.NextTry = "", time.Time{}
	return n, nil
}

// Verification implements NumberProvider: dev numbers are always ready.
func (DevNumbers) Verification(context.Context, OwnNumber) (NumberState, string, error) {
	return NumberReady, "", nil
}

// Release implements NumberProvider: nothing to give back.
func (DevNumbers) Release(context.Context, OwnNumber) error { return nil }

// DevNumberFor is the fictional number (+1 555 01x xxxx) dev mode gives
// the client with phone p on its try-th attempt.
func DevNumberFor(p Phone, try int) Phone {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s#%d", p, try)
	return Phone(fmt.Sprintf("+155501%05d", h.Sum32()%100000))
}
