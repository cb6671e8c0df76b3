package bot

import "time"

// Handles numbers each client's subscribers (#1, #2, …) so that replies
// can be forwarded and answered without showing a phone number.
type Handles interface {
	// Handle returns p's number with client, 0 if it has none yet.
	Handle(client, p Phone) (int, error)
	// HandlePhone returns the phone client numbers n, "" if none.
	HandlePhone(client Phone, n int) (Phone, error)
	// PutHandle gives p the number n with client.
	PutHandle(client, p Phone, n int) error
}

// Forwards remembers when texts were forwarded to each client, for the
// hourly cap.
type Forwards interface {
	// ForwardsSince counts the texts forwarded to client at or after since.
	ForwardsSince(client Phone, since time.Time) (int, error)
	// AddForward notes a text forwarded to client at at.
	AddForward(client Phone, at time.Time) error
	// DropForwardsBefore forgets client's forwards older than before.
	DropForwardsBefore(client Phone, before time.Time) error
}
