package flows

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"nudges/bot"
)

// Preview is what sending an announcement would mean, as the SMS draft
// reply and CONFIRM's reply tell it.
type Preview struct {
	Text     string       // as delivered after "Name: ": every http(s) URL a tracked link
	Links    []bot.Link   // its tracked links (codes of the preview only: Create makes new ones)
	Segments string       // SMS parts per subscriber, "1" or "1-2" (the opt-out line, either language)
	Encoding bot.Encoding // GSM-7, or UCS-2 when a character needs it
	Length   int          // characters of its longest delivered form (at most MaxDelivered)
	Picture  bool         // it goes as an MMS with a picture
	// Subscribers is the list now; SendNow of them would get it at once
	// and Later when their send window opens.
	Subscribers, SendNow, Later int
	Quota, Left                 int // announcements per period, and left before this one
}

// previewPicture stands in for a picture not fetched yet: its link is as
// long as a kept picture's.
func (s *Service) previewPicture() *bot.Media {
	base := strings.TrimRight(s.Brain.PublicURL, "/")
	return &bot.Media{Token: strings.Repeat("x", 20), URL: base + "/m/" + strings.Repeat("x", 20)}
}

// Preview shows what client p's announcement of text (and a picture at
// pictureURL, not fetched yet) would be: the draft's rules apply (an
// active client, a text or a picture, no control characters, the
// delivered length), the quota is only shown.
func (s *Service) Preview(p bot.Phone, text, pictureURL string) (*Preview, error) {
	var out *Preview
	err := s.Store.View(func(tx bot.Tx) error {
		c, _, err := clientTurn(tx, p)
		if err != nil {
			return err
		}
		var pic *bot.Media
		if pictureURL != "" {
			pic = s.previewPicture()
		}
		d, err := s.draft(c, text, pic)
		if err != nil {
			return err
		}
		out, err = s.preview(tx, c, d)
		return err
	})
	return out, err
}

// draft applies the draft rules to client c's text and picture.
func (s *Service) draft(c *bot.Client, text string, pic *bot.Media) (bot.Draft, error) {
	if !c.CanBroadcast() {
		return bot.Draft{}, refused(new(s.Brain.notActiveRefusal(c)))
	}
	text = strings.TrimSpace(text)
	if text == "" && pic == nil {
		return bot.Draft{}, refuse(ReasonEmpty, "An announcement needs a text or a picture.")
	}
	if bot.HasControl(strings.Join(strings.Fields(text), " ")) {
		return bot.Draft{}, refuse(ReasonControl, "The text holds control characters.")
	}
	if n := utf8.RuneCountInString(text); n > MaxDelivered { // before tracking: bounds the work
		return bot.Draft{}, refuse(ReasonTooLong, "The text is %d characters; the limit is %d.", n, MaxDelivered)
	}
	d, no, err := s.Brain.makeDraft(s.T, c, text, pic, s.now())
	if err != nil || no != nil {
		return bot.Draft{}, firstErr(err, refused(no))
	}
	return d, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// preview counts what draft d of client c would mean now.
func (s *Service) preview(tx bot.Tx, c *bot.Client, d bot.Draft) (*Preview, error) {
	segs, enc := segmentRange(s.T, c.Name, d.Text)
	longest, _ := withPicture(d.Text, d.Media, "")
	q, left, err := quota(tx, c)
	if err != nil {
		return nil, err
	}
	sendNow, later, err := s.Brain.split(tx, c, s.now())
	if err != nil {
		return nil, err
	}
	n, err := audience(tx, c)
	if err != nil {
		return nil, err
	}
	return &Preview{
		Text: d.Text, Links: d.Links, Segments: segs, Encoding: enc,
		Length: longestDelivered(s.T, c.Name, longest, c.Own != nil), Picture: d.Media != nil,
		Subscribers: n, SendNow: sendNow, Later: later, Quota: q, Left: left,
	}, nil
}

// Create sends client p's announcement of text, with the picture at
// pictureURL ("" for none), once: now under CONFIRM's rules (an active
// client, someone on the list, an announcement left; it goes to the list
// as it is now, the send window holding whom it holds), or at sendAt
// under LATER's (within MaxSchedule, no picture; counted now, sent to the
// list as it is then). It returns the announcement as Get shows it.
func (s *Service) Create(ctx context.Context, p bot.Phone, text, pictureURL string, sendAt *time.Time) (*Announcement, error) {
	if sendAt != nil && pictureURL != "" {
		return nil, refused(&refusal{"LaterPicture", nil})
	}
	if sendAt != nil {
		if problem := checkWhen(*sendAt, s.now()); problem != whenOK {
			return nil, refuse(ReasonSendAt, "send_at must be in the future and within %d days.", int(MaxSchedule.Hours()/24))
		}
	}
	pic, err := s.picture(ctx, p, pictureURL)
	if err != nil {
		return nil, err
	}
	var id uint64
	var sendNow, later int
	err = s.update(p, func(t *bot.Turn, c *bot.Client) error {
		if t.Conv.OptedOut { // as the scheduler holds it
			return refuse(ReasonNotActive, "The client's phone opted out of texts (STOP); START lets it send again.")
		}
		d, err := s.draft(c, text, pic)
		if err != nil {
			return err
		}
		if sendAt != nil {
			id, err = s.schedule(t, c, d, *sendAt)
			return err
		}
		if id, err = s.start(t, c, d); err != nil {
			return err
		}
		sendNow, later, err = s.Brain.split(t.Tx, c, t.Now)
		return err
	})
	if err != nil {
		return nil, err
	}
	a, err := s.Get(p, id)
	if err == nil && sendAt == nil {
		a.Started, a.SendNow, a.Later = true, sendNow, later
	}
	return a, err
}

// picture fetches and keeps the picture at url for client p (none for "").
// Only an active client's picture is fetched.
func (s *Service) picture(ctx context.Context, p bot.Phone, url string) (*bot.Media, error) {
	if url == "" {
		return nil, nil
	}
	if s.Pictures == nil {
		return nil, refuse(ReasonPicture, "Pictures are not taken here.")
	}
	err := s.Store.View(func(tx bot.Tx) error {
		c, _, err := clientTurn(tx, p)
		if err == nil && !c.CanBroadcast() {
			return refused(new(s.Brain.notActiveRefusal(c)))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	m, problem, _ := s.Pictures.Take(ctx, url, "", s.now())
	if problem != "" {
		return nil, refused(&refusal{"Picture_" + problem, nil})
	}
	return m, nil
}

// start is CONFIRM for draft d: it starts the fan-out and counts it.
func (s *Service) start(t *bot.Turn, c *bot.Client, d bot.Draft) (uint64, error) {
	_, no, err := s.Brain.sendable(t.Tx, c, t.Lang())
	if err != nil || no != nil {
		return 0, firstErr(err, refused(no))
	}
	c.Used++ // saved by startBroadcast
	if _, err := startBroadcast(t, c, d, 0); err != nil {
		return 0, err
	}
	return c.LastAnnouncement, nil
}

// schedule is LATER for draft d at at, read in the client's zone.
func (s *Service) schedule(t *bot.Turn, c *bot.Client, d bot.Draft, at time.Time) (uint64, error) {
	if no := laterPicture(d); no != nil {
		return 0, refused(no)
	}
	sch, _, no, err := s.Brain.schedule(t.Tx, c, d, at, s.Brain.zone(c.Phone), t.Now, t.Lang())
	if err != nil || no != nil {
		return 0, firstErr(err, refused(no))
	}
	return sch.Announcement, nil
}
