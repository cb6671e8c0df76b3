package store

import (
	"time"

	"nudges/bot"
)

var (
	bAPIKeys    = []byte("api_keys")     // key id → bot.APIKey
	bAPIKeyHash = []byte("api_key_hash") // hex SHA-256 of a key → key id
	bAnswers    = []byte("api_answers")  // key id \0 Idempotency-Key → bot.Answer
)

// expAnswer is the expiry kind of kept API answers.
const expAnswer byte = 4

// APIKey implements bot.APIKeys.
func (t *Tx) APIKey(id string) (*bot.APIKey, error) {
	var k bot.APIKey
	ok, err := t.getJSON(bAPIKeys, []byte(id), &k)
	if !ok || err != nil {
		return nil, err
	}
	return &k, nil
}

// APIKeyByHash implements bot.APIKeys.
func (t *Tx) APIKeyByHash(hash string) (*bot.APIKey, error) {
	id := t.b(bAPIKeyHash).Get([]byte(hash))
	if id == nil {
		return nil, nil
	}
	return t.APIKey(string(id))
}

// PutAPIKey implements bot.APIKeys.
func (t *Tx) PutAPIKey(k *bot.APIKey) error {
	if err := t.putJSON(bAPIKeys, []byte(k.ID), k); err != nil {
		return err
	}
	return t.b(bAPIKeyHash).Put([]byte(k.Hash), []byte(k.ID))
}

// EachAPIKey implements bot.APIKeys.
func (t *Tx) EachAPIKey(fn func(*bot.APIKey) error) error {
	return t.b(bAPIKeys).ForEach(func(id, _ []byte) error {
		k, err := t.APIKey(string(id))
		if err != nil || k == nil {
			return err
		}
		return fn(k)
	})
}

// Answer implements bot.Answers.
func (t *Tx) Answer(key, idem string) (*bot.Answer, error) {
	var a bot.Answer
	ok, err := t.getJSON(bAnswers, pair(key, idem), &a)
	if !ok || err != nil {
		return nil, err
	}
	return &a, nil
}

// PutAnswer implements bot.Answers; the answer is pruned after
// bot.IdempotencyKeep.
func (t *Tx) PutAnswer(key, idem string, a bot.Answer) error {
	k := pair(key, idem)
	if err := t.putJSON(bAnswers, k, a); err != nil {
		return err
	}
	return t.expires(expAnswer, a.At, string(k))
}

// pruneAnswers forgets API answers kept longer than bot.IdempotencyKeep.
func (db *DB) pruneAnswers(now time.Time) (int, error) {
	return db.pruneAll(expAnswer, now.Add(-bot.IdempotencyKeep))
}
