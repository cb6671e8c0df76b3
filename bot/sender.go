package bot

import (
	"context"
	"fmt"
)

// Sender sends one SMS through a provider and returns the provider's id.
type Sender interface {
	Send(ctx context.Context, m OutMessage) (sid string, err error)
}

// SendError is a failed send, classified for the dispatcher.
type SendError struct {
	Status  int // HTTP status from the provider, 0 if none came back
	Code    int // provider error code (Twilio: 21610, 20429, …)
	Message string
	// Retry: the provider certainly did not take the message and asks to try
	// again later (429, 5xx, connection refused).
	Retry bool
	// Unknown: the request may have reached the provider (timeout after
	// sending); the message must not be sent again.
	Unknown bool
}

func (e *SendError) Error() string {
	return fmt.Sprintf("send failed: status %d code %d: %s", e.Status, e.Code, e.Message)
}

// CodeOptedOut is Twilio's "recipient unsubscribed at the carrier".
const CodeOptedOut = 21610
