package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"nudges/bot"
	"nudges/store/kv"
)

// Buckets of tracked links and MMS pictures.
var (
	bLinks     = []byte("links")      // code → linkRecord
	bClickSeen = []byte("click_seen") // sha256(code \0 visitor)[:16] → unix ns of the last counted click
	bMedia     = []byte("media")      // token → mediaRecord
	bMediaData = []byte("media_data") // token → the picture's bytes
)

// ErrCodeTaken is PutLinks' answer for a code some link already has.
var ErrCodeTaken = errors.New("link code already taken")

type linkRecord struct {
	URL          string `json:"url"`
	Announcement uint64 `json:"announcement"`
	Clicks       int    `json:"clicks"`
}

type mediaRecord struct {
	Type         string    `json:"type"`
	Size         int       `json:"size"`
	At           time.Time `json:"at"`
	Announcement uint64    `json:"announcement,omitempty"` // 0 while only a draft has it
}

// PutLinks implements bot.Assets.
func (t *Tx) PutLinks(announcement uint64, links []bot.Link) error {
	for _, l := range links {
		if t.b(bLinks).Get([]byte(l.Code)) != nil {
			return fmt.Errorf("link %s: %w", l.Code, ErrCodeTaken)
		}
		if err := t.putJSON(bLinks, []byte(l.Code), linkRecord{URL: l.URL, Announcement: announcement}); err != nil {
			return err
		}
	}
	return nil
}

// Clicks implements bot.Assets.
func (t *Tx) Clicks(links []bot.Link) (int, error) {
	n := 0
	for _, l := range links {
		var r linkRecord
		if _, err := t.getJSON(bLinks, []byte(l.Code), &r); err != nil {
			return 0, err
		}
		n += r.Clicks
	}
	return n, nil
}

// ClaimMedia implements bot.Assets.
func (t *Tx) ClaimMedia(token string, announcement uint64) error {
	var r mediaRecord
	ok, err := t.getJSON(bMedia, []byte(token), &r)
	if err != nil || !ok {
		return err // a picture already pruned: the announcement goes without it
	}
	r.Announcement = announcement
	return t.putJSON(bMedia, []byte(token), r)
}

// KeepPicture stores a fetched picture in its own transaction (it
// implements bot.PictureKeeper); until an announcement claims it, it is
// pruned with the drafts that could have.
func (db *DB) KeepPicture(m bot.Media, data []byte, at time.Time) error {
	return db.Write(func(tx *Tx) error {
		if err := tx.b(bMediaData).Put([]byte(m.Token), data); err != nil {
			return fmt.Errorf("keep picture: %w", err)
		}
		return tx.putJSON(bMedia, []byte(m.Token), mediaRecord{Type: m.Type, Size: m.Size, At: at})
	})
}

// Picture returns a kept picture's content type and bytes; found is false
// for an unknown token.
func (db *DB) Picture(token string) (ct string, data []byte, found bool, err error) {
	err = db.Read(func(tx *Tx) error {
		var r mediaRecord
		ok, err := tx.getJSON(bMedia, []byte(token), &r)
		if err != nil || !ok {
			return err
		}
		raw := tx.b(bMediaData).Get([]byte(token))
		if raw == nil {
			return nil
		}
		ct, data, found = r.Type, append([]byte(nil), raw...), true
		return nil
	})
	return ct, data, found, err
}

// FollowLink resolves a tracked link and counts the click unless the same
// visitor (a client address, as the caller names it) was counted
// within window, or count is false (a link-preview fetcher). found is false
// for an unknown code.
func (db *DB) FollowLink(code, visitor string, count bool, now time.Time, window time.Duration) (url string, found bool, err error) {
	err = db.WriteBatch(func(tx *Tx) error {
		var r linkRecord
		ok, err := tx.getJSON(bLinks, []byte(code), &r)
		if err != nil || !ok {
			url, found = "", false
			return err
		}
		url, found = r.URL, true
		if !count || !tx.firstClick(code, visitor, now, window) {
			return nil
		}
		r.Clicks++
		if err := tx.putJSON(bLinks, []byte(code), r); err != nil {
			return err
		}
		return tx.hookClick(code, r, now)
	})
	return url, found, err
}

// firstClick reports whether visitor's click on code is the first within
// window, and notes it. Visitors are kept hashed, never in clear.
func (t *Tx) firstClick(code, visitor string, now time.Time, window time.Duration) bool {
	sum := sha256.Sum256(pair(code, visitor))
	key := sum[:16]
	b := t.b(bClickSeen)
	if v := b.Get(key); len(v) == 8 && now.Sub(time.Unix(0, int64(binary.BigEndian.Uint64(v)))) < window {
		return false
	}
	b.Put(key, itob(uint64(now.UnixNano())))
	return true
}

// pruneClickMarks visits click marks from from on, as many as one
// transaction takes, forgets those older than window, and returns how many
// went and the key to go on from (nil once all were visited).
func (t *Tx) pruneClickMarks(now time.Time, window time.Duration, from []byte) (int, []byte, error) {
	var old [][]byte
	visit := t.fit(pruneChunk, 2)
	k, v, c := seekFrom(t.b(bClickSeen), from)
	for ; k != nil && visit > 0; k, v = c.Next() {
		visit--
		if len(v) != 8 || now.Sub(time.Unix(0, int64(btoi(v)))) >= window {
			old = append(old, append([]byte(nil), k...))
		}
	}
	return len(old), bytes.Clone(k), deleteAll(t.b(bClickSeen), old)
}

// pruneMedia visits pictures from from on, as many as one transaction
// takes, and forgets those no announcement claimed within draftKeep, or
// whose announcement is gone or done more than keep ago. It returns how
// many went and the key to go on from (nil once all were visited).
func (t *Tx) pruneMedia(now time.Time, draftKeep, keep time.Duration, from []byte) (int, []byte, error) {
	gone, next, err := t.staleMedia(now, draftKeep, keep, from)
	if err != nil {
		return 0, nil, err
	}
	for _, b := range [][]byte{bMedia, bMediaData} {
		if err := deleteAll(t.b(b), gone); err != nil {
			return 0, nil, err
		}
	}
	return len(gone), next, nil
}

// staleMedia lists the pictures past their keep among those it visits
// from from on (each may cost its record, its announcement and its
// bytes), and the key to go on from.
func (t *Tx) staleMedia(now time.Time, draftKeep, keep time.Duration, from []byte) ([][]byte, []byte, error) {
	var gone [][]byte
	visit := t.fit(pruneChunk, 4)
	k, v, c := seekFrom(t.b(bMedia), from)
	for ; k != nil && visit > 0; k, v = c.Next() {
		visit--
		stale, err := t.staleRecord(k, v, now, draftKeep, keep)
		if err != nil {
			return nil, nil, err
		}
		if stale {
			gone = append(gone, append([]byte(nil), k...))
		}
	}
	return gone, bytes.Clone(k), nil
}

// staleRecord reports whether the picture of media record v is past its keep.
func (t *Tx) staleRecord(k, v []byte, now time.Time, draftKeep, keep time.Duration) (bool, error) {
	var r mediaRecord
	if err := jsonDecode(v, &r); err != nil {
		return false, fmt.Errorf("decode media %s: %w", k, err)
	}
	if r.Announcement == 0 {
		return now.Sub(r.At) > draftKeep, nil
	}
	a, err := t.Announcement(r.Announcement)
	if err != nil {
		return false, err
	}
	return a == nil || (!a.DoneAt.IsZero() && now.Sub(a.DoneAt) > keep), nil
}

// seekFrom places a cursor of b on from, or on b's first key for nil.
func seekFrom(b kv.Bucket, from []byte) ([]byte, []byte, kv.Cursor) {
	c := b.Cursor()
	if from == nil {
		k, v := c.First()
		return k, v, c
	}
	k, v := c.Seek(from)
	return k, v, c
}

func deleteAll(b kv.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("prune %s: %w", k, err)
		}
	}
	return nil
}
