package bot

import "time"

// IdempotencyKeep is how long an API request's answer is kept for a retry
// with the same Idempotency-Key.
const IdempotencyKeep = 24 * time.Hour

// Answer is an API request's first answer, kept under its Idempotency-Key.
type Answer struct {
	At          time.Time `json:"at"`
	Fingerprint string    `json:"fingerprint"` // hash of the request: method, path, body
	Status      int       `json:"status"`
	ContentType string    `json:"content_type"`
	Body        []byte    `json:"body"`
}

// Answers keeps API answers by key id and Idempotency-Key for
// IdempotencyKeep (the store's Prune forgets older ones).
type Answers interface {
	Answer(key, idem string) (*Answer, error)
	PutAnswer(key, idem string, a Answer) error
}
