package bot

import "time"

// Scheduled is an announcement a client scheduled with LATER: counted
// against its period when scheduled, sent to the list as it is at At.
type Scheduled struct {
	ID      uint64    `json:"id"`
	Client  Phone     `json:"client"`
	Keyword string    `json:"keyword"`
	Text    string    `json:"text"` // as delivered: links already shortened
	Links   []Link    `json:"links,omitempty"`
	At      time.Time `json:"at"`   // when it goes out (UTC)
	Zone    string    `json:"zone"` // IANA zone the client's time was read in
	// PeriodStart is the billing period it was counted in: UNSCHEDULE gives
	// the announcement back only to that period.
	PeriodStart time.Time `json:"period_start,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	// Announcement is the id the announcement will have once it goes out,
	// given when it is scheduled, so that it is known by one id throughout
	// (0 for an entry scheduled before ids were given ahead).
	Announcement uint64 `json:"announcement,omitempty"`
}

// Schedules keeps scheduled announcements, indexed by due time.
type Schedules interface {
	// PutScheduled saves s, assigning an ID when s.ID is zero.
	PutScheduled(s *Scheduled) error
	// DeleteScheduled removes the scheduled announcement id; false if there
	// was none.
	DeleteScheduled(id uint64) (bool, error)
	// ScheduledOf returns client's scheduled announcements, soonest first.
	ScheduledOf(client Phone) ([]Scheduled, error)
	// NextScheduled returns the scheduled announcement due soonest, nil if
	// there is none.
	NextScheduled() (*Scheduled, error)
}
