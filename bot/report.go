package bot

import (
	"fmt"
	"time"
)

// ReportTo returns the Reporter that texts a client how its announcement
// went, in the client's language. An opted-out client gets nothing.
func ReportTo(t Translator) Reporter {
	return func(tx ReportTx, now time.Time, a *Announcement) error {
		client, err := tx.Client(a.Client)
		if err != nil {
			return fmt.Errorf("report: load client: %w", err)
		}
		lang := ""
		if client != nil {
			lang = client.Locale
		}
		c := a.Counts
		data := map[string]any{
			"Sent":   c[StatusSent] + c[StatusDelivered],
			"Total":  a.Total,
			"Failed": c[StatusFailed] + c[StatusUndelivered],
			// Unknown: in flight when a process died or failed over, never
			// resent; it may well have arrived, so it is no failure either.
			"Unknown": c[StatusUnknown],
			// Skipped: the phone opted out or left the list after CONFIRM,
			// which is the subscriber's choice, not a failure.
			"Skipped": c[StatusSkipped],
		}
		_, err = Text(tx, now, Note{
			To: a.Client, Kind: KindReport, Priority: PriorityHigh, Client: lang,
			Body: func(lang string) string { return t.T(lang, "AnnouncementReport", data) },
		})
		return err
	}
}
