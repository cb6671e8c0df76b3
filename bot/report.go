package bot

import (
	"errors"
	"fmt"
	"time"
)

// report queues an announcement's report. A failure is logged, not
// returned: it must not keep the batch of outcomes from being recorded.
func (d *Dispatcher) report(tx Tx, now time.Time, a *Announcement) error {
	err := errors.New("no translator")
	if d.T != nil {
		err = ReportTo(d.T)(tx, now, a)
	}
	if err != nil {
		d.log().Error("announcement report not queued", "announcement", a.ID, "client", a.Client, "err", err)
	}
	return nil
}

// ReportTo returns the Reporter that texts a client how its announcement
// went, in the client's language. An opted-out client gets nothing.
func ReportTo(t Translator) Reporter {
	return func(tx Tx, now time.Time, a *Announcement) error {
		conv, err := tx.Conversation(a.Client)
		if err != nil {
			return fmt.Errorf("report: load conversation: %w", err)
		}
		if conv.OptedOut {
			return nil
		}
		client, err := tx.Client(a.Client)
		if err != nil {
			return fmt.Errorf("report: load client: %w", err)
		}
		c := a.Counts
		body := t.T(reportLang(conv, client), "AnnouncementReport", map[string]any{
			"Sent":   c[StatusSent] + c[StatusDelivered],
			"Total":  a.Total,
			"Failed": c[StatusFailed] + c[StatusUndelivered] + c[StatusUnknown],
			// Skipped: the phone opted out or left the list after CONFIRM,
			// which is the subscriber's choice, not a failure.
			"Skipped": c[StatusSkipped],
		})
		return Enqueue(tx, now, conv, body, KindReport, PriorityHigh, 0)
	}
}

// reportLang is the language the phone chose, else the client's, else the
// phone's.
func reportLang(conv *Conversation, client *Client) string {
	switch {
	case conv.LocaleChosen && conv.Locale != "":
		return conv.Locale
	case client != nil && client.Locale != "":
		return client.Locale
	case conv.Locale != "":
		return conv.Locale
	}
	return English
}
