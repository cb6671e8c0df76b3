package flows

import (
	"fmt"
	"strings"
	"time"

	"nudges/bot"
)

// Announcement states as the Service shows them.
const (
	StateScheduled = "scheduled" // waits for its time (LATER)
	StateSending   = "sending"   // going out
	StateCompleted = "completed" // every recipient settled
	StateHalted    = "halted"    // stopped by HALT
	StateCanceled  = "canceled"  // taken off the schedule (its last answer only)
)

// Announcement is one of a client's announcements, sent or scheduled, as
// the API and the dashboard show it. Its ID stays the same from when it is
// scheduled to when it has gone.
type Announcement struct {
	ID        uint64
	State     string
	Text      string // as delivered: tracked links
	Picture   string // the kept picture's URL, "" for none
	CreatedAt time.Time
	SendAt    time.Time // when a scheduled one goes (zero once sent)
	DoneAt    time.Time // when the last recipient settled (zero before)
	// Recipients is the list's size when it started (0 while scheduled).
	Recipients int
	Counts     Counts
	Links      []LinkClicks
	Replies    int // subscribers' texts forwarded to the client within the reply window
	// Started is set on the answer of a Create that started it now:
	// SendNow of the list get it at once and Later when their send window
	// opens (CONFIRM's reply).
	Started        bool
	SendNow, Later int
}

// Counts are an announcement's recipients by where their message stands.
type Counts struct {
	Queued    int // not sent yet, the send window open for them
	Waiting   int // held for their send window
	Sent      int // handed to the carrier, no delivery report yet
	Delivered int
	Failed    int // failed or undelivered
	Unknown   int // in flight when a process died: never resent
	Skipped   int // opted out before it went
	Halted    int // dropped by HALT, or never added once halted
}

// LinkClicks is one tracked link and its counted clicks.
type LinkClicks struct {
	bot.Link
	Short  string // as subscribers get it: {public URL}/l/{code}
	Clicks int
}

// Get is client p's announcement id, ENOTFOUND if it has none by that id.
func (s *Service) Get(p bot.Phone, id uint64) (*Announcement, error) {
	var out *Announcement
	err := s.Store.View(func(tx bot.Tx) error {
		var err error
		out, err = s.load(tx, p, id)
		return err
	})
	return out, err
}

// List is a page of client p's announcements, scheduled and sent, newest
// id first, after the id before (0: from the newest); next is the before
// of the following page, 0 at the end.
func (s *Service) List(p bot.Phone, before uint64, limit int) (list []Announcement, next uint64, err error) {
	err = s.Store.View(func(tx bot.Tx) error {
		refs, err := tx.AnnouncementsOf(p, before, limit+1)
		if err != nil {
			return fmt.Errorf("announcements of %s: %w", p, err)
		}
		if len(refs) > limit {
			refs, next = refs[:limit], refs[limit-1].ID
		}
		for _, r := range refs {
			a, err := s.view(tx, r)
			if err != nil {
				return err
			}
			if a != nil {
				list = append(list, *a)
			}
		}
		return nil
	})
	return list, next, err
}

// load is client p's announcement id.
func (s *Service) load(tx bot.Tx, p bot.Phone, id uint64) (*Announcement, error) {
	refs, err := tx.AnnouncementsOf(p, id+1, 1)
	if err != nil {
		return nil, fmt.Errorf("announcement %d: %w", id, err)
	}
	if len(refs) == 0 || refs[0].ID != id {
		return nil, notFound("announcement")
	}
	a, err := s.view(tx, refs[0])
	if err == nil && a == nil {
		err = notFound("announcement")
	}
	return a, err
}

// view reads the announcement r names; nil if it is gone.
func (s *Service) view(tx bot.Tx, r bot.AnnouncementRef) (*Announcement, error) {
	if r.Scheduled != 0 {
		sch, err := tx.Scheduled(r.Scheduled)
		if err != nil || sch == nil {
			return nil, err
		}
		return s.scheduledView(tx, sch)
	}
	a, err := tx.Announcement(r.ID)
	if err != nil || a == nil {
		return nil, err
	}
	return s.sentView(tx, a)
}

func (s *Service) scheduledView(tx bot.Tx, sch *bot.Scheduled) (*Announcement, error) {
	links, err := s.clicks(tx, sch.Links)
	if err != nil {
		return nil, err
	}
	return &Announcement{ID: sch.Announcement, State: StateScheduled, Text: sch.Text, CreatedAt: sch.CreatedAt,
		SendAt: sch.At, Links: links}, nil
}

func (s *Service) sentView(tx bot.Tx, a *bot.Announcement) (*Announcement, error) {
	links, err := s.clicks(tx, a.Links)
	if err != nil {
		return nil, err
	}
	replies, err := tx.Replies(a.ID)
	if err != nil {
		return nil, err
	}
	out := &Announcement{ID: a.ID, State: stateOf(a), Text: a.Text, CreatedAt: a.CreatedAt, DoneAt: a.DoneAt,
		Recipients: max(a.Planned, a.Total), Counts: countsOf(a, s.now()), Links: links, Replies: replies}
	if a.Media != nil {
		out.Picture = a.Media.URL
	}
	return out, nil
}

func stateOf(a *bot.Announcement) string {
	switch {
	case a.Halted:
		return StateHalted
	case !a.DoneAt.IsZero():
		return StateCompleted
	}
	return StateSending
}

// countsOf reads a's counts as the console does.
func countsOf(a *bot.Announcement, now time.Time) Counts {
	c := a.Counts
	waiting := a.Waiting(now)
	return Counts{
		Queued: max(c[bot.StatusQueued]+c[bot.StatusSending]-waiting, 0), Waiting: waiting,
		Sent: c[bot.StatusSent], Delivered: c[bot.StatusDelivered],
		Failed:  c[bot.StatusFailed] + c[bot.StatusUndelivered],
		Unknown: c[bot.StatusUnknown], Skipped: c[bot.StatusSkipped], Halted: a.HaltedCount(),
	}
}

// clicks counts each tracked link's clicks.
func (s *Service) clicks(tx bot.Tx, links []bot.Link) ([]LinkClicks, error) {
	out := make([]LinkClicks, 0, len(links))
	base := strings.TrimRight(s.Brain.PublicURL, "/")
	for _, l := range links {
		n, err := tx.Clicks([]bot.Link{l})
		if err != nil {
			return nil, fmt.Errorf("clicks: %w", err)
		}
		out = append(out, LinkClicks{Link: l, Short: base + "/l/" + l.Code, Clicks: n})
	}
	return out, nil
}

// Halt stops client p's announcement id while it is going out, as HALT
// does: recipients not sent yet are dropped. One that is done or halted
// already is refused (ReasonFinished), a scheduled one too
// (ReasonScheduled: Cancel it).
func (s *Service) Halt(p bot.Phone, id uint64) (*Announcement, error) {
	var r bot.HaltReport
	err := s.update(p, func(t *bot.Turn, _ *bot.Client) error {
		if _, err := s.load(t.Tx, p, id); err != nil {
			return err
		}
		a, err := t.Tx.Announcement(id)
		if err != nil {
			return fmt.Errorf("load announcement %d: %w", id, err)
		}
		if a == nil {
			return refuse(ReasonScheduled, "This announcement is scheduled, not sending: cancel it instead.")
		}
		var sending bool
		r, sending, err = haltSending(t, a)
		if err == nil && !sending {
			err = refuse(ReasonFinished, "This announcement is not sending any more (%s).", stateOf(a))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out, err := s.Get(p, id)
	if err == nil { // as HALT's reply tells it: the worker may not have dropped the rows yet
		out.Counts.Queued, out.Counts.Waiting, out.Counts.Halted = r.InFlight, 0, r.Dropped
	}
	return out, err
}

// Cancel takes client p's scheduled announcement id off the schedule, as
// UNSCHEDULE does, and gives it back to the period it was counted in. One
// that already went is refused (ReasonNotScheduled).
func (s *Service) Cancel(p bot.Phone, id uint64) (*Announcement, error) {
	var out *Announcement
	err := s.update(p, func(t *bot.Turn, c *bot.Client) error {
		var err error
		if out, err = s.load(t.Tx, p, id); err != nil {
			return err
		}
		if out.State != StateScheduled {
			return refuse(ReasonNotScheduled, "This announcement is not scheduled any more (%s).", out.State)
		}
		refs, err := t.Tx.AnnouncementsOf(p, id+1, 1)
		if err != nil {
			return err
		}
		sch, err := t.Tx.Scheduled(refs[0].Scheduled)
		if err != nil || sch == nil {
			return firstErr(err, notFound("announcement"))
		}
		_, err = unscheduleOne(t.Tx, c, *sch)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.State = StateCanceled
	return out, nil
}
