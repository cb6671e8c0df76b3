package bot

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ThreadKeep is how many of a reply thread's latest messages are kept.
const ThreadKeep = 10

// ThreadMessage is one text of a reply thread: a subscriber's reply that
// was forwarded to the client (In), or the client's answer to it.
type ThreadMessage struct {
	At   time.Time `json:"at"`
	In   bool      `json:"in,omitempty"`
	Text string    `json:"text"`
}

// Thread is a client's conversation with one subscriber, known to the
// client only by its handle #N: never by the phone number.
type Thread struct {
	N        int             `json:"n"`
	At       time.Time       `json:"at"`       // its latest message
	Messages []ThreadMessage `json:"messages"` // the last ThreadKeep, oldest first
}

// ThreadCursor is where a page of threads ends: the latest message's time
// and handle of its last thread (zero: from the newest).
type ThreadCursor struct {
	At time.Time
	N  int
}

// Threads keeps each client's reply threads.
type Threads interface {
	// AppendThread adds m to client's thread with #n, keeping its last
	// ThreadKeep messages.
	AppendThread(client Phone, n int, m ThreadMessage) error
	// ThreadsOf returns up to limit of client's threads, latest activity
	// first, starting after the cursor.
	ThreadsOf(client Phone, after ThreadCursor, limit int) ([]Thread, error)
	// Thread returns client's thread with #n, nil if there is none.
	Thread(client Phone, n int) (*Thread, error)
}

// ReplyCounts counts the replies each announcement drew.
type ReplyCounts interface {
	// CountReply counts one more reply to announcement id.
	CountReply(id uint64) error
	// Replies is how many replies announcement id drew.
	Replies(id uint64) (int, error)
}

// AnnouncementRef is one of a client's announcements in its index:
// Scheduled is the id of its Scheduled entry while it waits to go out
// (LATER), 0 once it started.
type AnnouncementRef struct {
	ID        uint64
	Scheduled uint64
}

// ClientAnnouncements indexes announcements (sent and scheduled) by client.
type ClientAnnouncements interface {
	// AnnouncementsOf returns up to n of client's announcements with ids
	// below before (0: from the newest), newest first.
	AnnouncementsOf(client Phone, before uint64, n int) ([]AnnouncementRef, error)
	// Scheduled returns the scheduled announcement id, nil if there is none.
	Scheduled(id uint64) (*Scheduled, error)
}

// String is the cursor as a page link carries it: "unix ns.n" in base64.
func (c ThreadCursor) String() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%d", c.At.UnixNano(), c.N))
}

// ParseThreadCursor reads a cursor String made ("" is the zero cursor,
// the newest); false when s is not one.
func ParseThreadCursor(s string) (ThreadCursor, bool) {
	if s == "" {
		return ThreadCursor{}, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 60 {
		return ThreadCursor{}, false
	}
	ns, n, ok := strings.Cut(string(raw), ".")
	at, err1 := strconv.ParseInt(ns, 10, 64)
	h, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || at <= 0 || h <= 0 {
		return ThreadCursor{}, false
	}
	return ThreadCursor{At: time.Unix(0, at).UTC(), N: h}, true
}
