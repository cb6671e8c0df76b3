package bot

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"
)

// APIKeyPrefix starts every API key, so that a leaked one is recognisable.
const APIKeyPrefix = "nk_"

// LastUsedEvery is how stale an API key's LastUsed may get: it is written
// at most once in this time, not once a request.
const LastUsedEvery = time.Minute

const maxKeyName = 100

// APIKey is the stored record of an API key. The key itself is shown once,
// when made, and only its SHA-256 is kept.
type APIKey struct {
	ID       string    `json:"id"`
	Hash     string    `json:"hash"`             // hex SHA-256 of the whole key
	Hint     string    `json:"hint"`             // "nk_" and its first characters, to tell keys apart
	Name     string    `json:"name,omitempty"`   // what its maker called it
	Client   Phone     `json:"client,omitempty"` // the client whose list it acts on; "" for an admin key
	Admin    Phone     `json:"admin,omitempty"`  // the admin who made an admin key
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
}

// IsAdmin reports whether the key acts on every list.
func (k *APIKey) IsAdmin() bool { return k.Client == "" }

// APIKeys keeps API keys by id and by hash.
type APIKeys interface {
	APIKey(id string) (*APIKey, error)
	APIKeyByHash(hash string) (*APIKey, error)
	// PutAPIKey saves k and indexes it by its hash.
	PutAPIKey(k *APIKey) error
	// EachAPIKey calls fn for every key, in id order.
	EachAPIKey(fn func(*APIKey) error) error
}

// HashAPIKey is the stored form of a key.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// CreateAPIKey makes a key for client's list (admin empty) or for admin
// (client empty), and returns the key itself, which is never shown again.
func CreateAPIKey(st Store, now time.Time, client, admin Phone, name string) (string, APIKey, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxKeyName {
		return "", APIKey{}, Errorf(EINVALID, "A key's name is at most %d characters.", maxKeyName)
	}
	if (client == "") == (admin == "") {
		return "", APIKey{}, Errorf(EINVALID, "A key belongs to a client or to an admin.")
	}
	secret, id := make([]byte, 24), make([]byte, 8)
	rand.Read(secret) // never fails (crypto/rand since Go 1.24)
	rand.Read(id)
	token := APIKeyPrefix + base64.RawURLEncoding.EncodeToString(secret)
	k := APIKey{ID: "key_" + hex.EncodeToString(id), Hash: HashAPIKey(token), Hint: token[:7] + "…",
		Name: name, Client: client, Admin: admin, Created: now.UTC()}
	err := st.Update(func(tx Tx) error {
		if client != "" {
			c, err := tx.Client(client)
			if err != nil {
				return err
			}
			if c == nil {
				return Errorf(ENOTFOUND, "No client has the phone %s.", client)
			}
		}
		return tx.PutAPIKey(&k)
	})
	if err != nil {
		return "", APIKey{}, err
	}
	return token, k, nil
}

// RevokeAPIKey stops key id working. A client (client set) revokes only its
// own keys; the console (client empty) any key.
func RevokeAPIKey(st Store, now time.Time, id string, client Phone) error {
	return st.Update(func(tx Tx) error {
		k, err := tx.APIKey(id)
		if err != nil {
			return err
		}
		if k == nil || (client != "" && k.Client != client) {
			return Errorf(ENOTFOUND, "No such key.")
		}
		if !k.Revoked.IsZero() {
			return nil
		}
		k.Revoked = now.UTC()
		return tx.PutAPIKey(k)
	})
}

// APIKeysOf lists client's keys, or with client empty the admin keys,
// revoked ones included.
func APIKeysOf(st Store, client Phone) ([]APIKey, error) {
	var keys []APIKey
	err := st.View(func(tx Tx) error {
		return tx.EachAPIKey(func(k *APIKey) error {
			if k.Client == client {
				keys = append(keys, *k)
			}
			return nil
		})
	})
	return keys, err
}

// Authenticate returns the live key whose secret is token, or nil. It
// notes the use (LastUsed) when the last note is older than LastUsedEvery.
func Authenticate(st Store, now time.Time, token string) (*APIKey, error) {
	if !strings.HasPrefix(token, APIKeyPrefix) || len(token) > 200 {
		return nil, nil
	}
	var k *APIKey
	err := st.View(func(tx Tx) error {
		var err error
		k, err = tx.APIKeyByHash(HashAPIKey(token))
		return err
	})
	if err != nil || k == nil || !k.Revoked.IsZero() {
		return nil, err
	}
	if now.Sub(k.LastUsed) < LastUsedEvery {
		return k, nil
	}
	err = st.Update(func(tx Tx) error {
		cur, err := tx.APIKey(k.ID)
		if err != nil || cur == nil || now.Sub(cur.LastUsed) < LastUsedEvery {
			return err
		}
		cur.LastUsed = now.UTC()
		return tx.PutAPIKey(cur)
	})
	k.LastUsed = now.UTC()
	return k, err
}
