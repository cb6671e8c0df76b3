package bot

import (
	"fmt"
	"log/slog"
	"net/url"
	"time"
)

// KindWebhook is the kind of the text telling a client its webhook
// endpoint was disabled.
const KindWebhook = "webhook"

// hookSchedule is Standard Webhooks' reference schedule of waits after
// each failed try: 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h.
var hookSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour}

// HookBackoff is the wait after failed try number tries (1 for the first).
func HookBackoff(tries int) time.Duration {
	if tries < 1 {
		tries = 1
	}
	if tries > len(hookSchedule) {
		return hookSchedule[len(hookSchedule)-1]
	}
	return hookSchedule[tries-1]
}

// HookGiveUp is how long an event is retried before its endpoint is
// disabled; HookLease how long a claimed row waits before it is tried again
// if its outcome was never recorded (the process died mid-delivery).
const (
	HookGiveUp = 72 * time.Hour
	HookLease  = time.Minute
)

// HookJob is a claimed delivery with what sending it needs.
type HookJob struct {
	Delivery HookDelivery
	URL      string
	Secret   string
}

// HookQueue is the webhook queue as a domain service, in the outbox's
// shape: Claim takes due rows (leasing them, so a crash retries them: at
// least once), Record settles one try, backing off or giving up.
type HookQueue struct {
	Store Store
	T     Translator
	// Default is the service's default language, for the owner's notice.
	Default string
	Log     *slog.Logger
}

// Claim returns up to n rows due by now and leases them for HookLease.
// Rows whose endpoint was deleted or disabled fail instead.
func (q *HookQueue) Claim(now time.Time, n int) ([]HookJob, error) {
	var jobs []HookJob
	err := q.Store.Update(func(tx Tx) error {
		jobs = jobs[:0]
		ids, err := tx.DueHookDeliveries(now, n)
		if err != nil {
			return err
		}
		for _, id := range ids {
			d, err := tx.HookDelivery(id)
			if err != nil || d == nil {
				return err
			}
			e, err := tx.HookEndpoint(d.Endpoint)
			if err != nil {
				return err
			}
			if e == nil || !e.Enabled {
				d.Status, d.Error, d.NextAt, d.UpdatedAt = HookFailed, "endpoint disabled or deleted", time.Time{}, now
			} else {
				d.NextAt = now.Add(HookLease)
				jobs = append(jobs, HookJob{Delivery: *d, URL: e.URL, Secret: e.Secret})
			}
			if err := tx.PutHookDelivery(d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	return jobs, nil
}

// Record settles one try of row id: code is the HTTP status (0 when none
// came) and why the failure. A 2xx delivers; anything else retries after
// HookBackoff, or, once the event is HookGiveUp old, fails the row and
// disables its endpoint, texting its owner.
func (q *HookQueue) Record(now time.Time, id uint64, code int, why string) error {
	err := q.Store.Update(func(tx Tx) error {
		d, err := tx.HookDelivery(id)
		if err != nil || d == nil || d.Status != HookPending {
			return err
		}
		d.Tries++
		d.Code, d.Error, d.UpdatedAt = code, why, now
		switch next := now.Add(HookBackoff(d.Tries)); {
		case code >= 200 && code < 300:
			d.Status, d.NextAt, d.Error = HookDelivered, time.Time{}, ""
		case next.Sub(d.CreatedAt) > HookGiveUp:
			d.Status, d.NextAt = HookFailed, time.Time{}
			if err := q.disable(tx, now, d); err != nil {
				return err
			}
		default:
			d.NextAt = next
		}
		return tx.PutHookDelivery(d)
	})
	if err != nil {
		return fmt.Errorf("record webhook delivery %d: %w", id, err)
	}
	return nil
}

// disable turns off d's endpoint after its last try failed, and tells the
// owner: a client by SMS, an admin in the log.
func (q *HookQueue) disable(tx Tx, now time.Time, d *HookDelivery) error {
	e, err := tx.HookEndpoint(d.Endpoint)
	if err != nil || e == nil || !e.Enabled {
		return err
	}
	e.Enabled, e.DisabledAt = false, now
	e.Why = fmt.Sprintf("deliveries failed for %s (last: %s)", HookGiveUp, lastAnswer(d))
	if err := tx.PutHookEndpoint(e); err != nil {
		return err
	}
	q.log().Warn("webhook endpoint disabled", "endpoint", e.ID, "owner", e.Owner, "url", e.URL, "why", e.Why)
	if e.Owner == HookAdmin || q.T == nil {
		return nil
	}
	c, err := tx.Client(e.Owner)
	if err != nil {
		return err
	}
	lang := ""
	if c != nil {
		lang = c.Locale
	}
	data := map[string]any{"URL": hookHost(e.URL)}
	_, err = Text(tx, now, Note{To: e.Owner, Kind: KindWebhook, Priority: PriorityHigh, Client: lang, Default: q.Default,
		Body: func(lang string) string { return q.T.T(lang, "WebhookDisabled", data) }})
	return err
}

func lastAnswer(d *HookDelivery) string {
	if d.Code != 0 {
		return fmt.Sprintf("HTTP %d", d.Code)
	}
	return d.Error
}

func (q *HookQueue) log() *slog.Logger {
	if q.Log == nil {
		return slog.Default()
	}
	return q.Log
}

// hookHost is the host of an endpoint's URL, short enough for an SMS.
func hookHost(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}
