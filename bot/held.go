package bot

import (
	"slices"
	"time"
)

// Held is a number of an announcement's rows the send window holds back
// until At, when their recipients' window opens.
type Held struct {
	At time.Time `json:"at"`
	N  int       `json:"n"`
}

// hold counts n more rows held until at; groups already due by now are
// dropped, so the list stays as short as the number of openings ahead.
func (a *Announcement) hold(at, now time.Time, n int) {
	if n <= 0 || !at.After(now) {
		return
	}
	a.Held = slices.DeleteFunc(a.Held, func(h Held) bool { return !h.At.After(now) })
	for i := range a.Held {
		if a.Held[i].At.Equal(at) {
			a.Held[i].N += n
			return
		}
	}
	a.Held = append(a.Held, Held{At: at, N: n})
	slices.SortFunc(a.Held, func(x, y Held) int { return x.At.Compare(y.At) })
}

// Waiting is how many of a's rows are still waiting for their send window
// at now: held until later than now, and neither halted nor folded (the
// console shows it; the metrics gauge counts the same rows in the queue).
func (a *Announcement) Waiting(now time.Time) int {
	if a.Halted || a.Folded || !a.DoneAt.IsZero() {
		return 0
	}
	n := 0
	for _, h := range a.Held {
		if h.At.After(now) {
			n += h.N
		}
	}
	return min(n, a.Counts[StatusQueued])
}

// HaltedCount is how many of a's recipients a HALT dropped: rows settled
// halted, and those the fan-out had not reached yet.
func (a *Announcement) HaltedCount() int { return a.Counts[StatusHalted] + a.Cut }

// Due is the FanOut.Due of the send window: a recipient's row is due when
// its window next opens (now if it is open).
func (s *SendWindow) Due(_ *Announcement, r *Recipient, now time.Time) time.Time {
	return s.NextOpen(r.Conv.Phone, now)
}

// holdAt is when an announcement row claimed at now may really go: now if
// its recipient's window is open (or there is no window), else later.
func (s *SendWindow) holdAt(m *OutMessage, now time.Time) time.Time {
	if s == nil || m.Kind != KindAnnouncement {
		return now
	}
	return s.NextOpen(m.To, now)
}

// ZonePrefixLen is how many leading characters of an E.164 number decide
// its time zones in the number data the send window uses ("+1" and the
// area code and exchange, "+1907555"): lists keep their counts by prefixes
// of this length (PhoneGroup), so a CONFIRM can tell how many recipients
// the window holds without reading the list. A handful of 8- and 9-digit
// prefixes outside North America are finer than that; their phones are
// counted with their 7-digit group (the fan-out still holds each one by its
// whole number).
const ZonePrefixLen = 8

// PhoneGroup is how many phones on a list begin with Prefix (the first
// ZonePrefixLen characters of their number, or all of a shorter one).
type PhoneGroup struct {
	Prefix string
	N      int
}

// Split tells how many phones of groups the window lets through at now,
// and how many it holds.
func (s *SendWindow) Split(groups []PhoneGroup, now time.Time) (sendNow, later int) {
	for _, g := range groups {
		if s.NextOpen(Phone(g.Prefix), now).After(now) {
			later += g.N
		} else {
			sendNow += g.N
		}
	}
	return sendNow, later
}
