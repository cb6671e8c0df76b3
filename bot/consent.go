package bot

import (
	"fmt"
	"time"
)

// ConsentKind is what happened to a phone's consent.
type ConsentKind string

// Consent record kinds.
const (
	ConsentJoin          ConsentKind = "join"
	ConsentLeave         ConsentKind = "leave"
	ConsentOptOut        ConsentKind = "opt-out"
	ConsentOptIn         ConsentKind = "opt-in"
	ConsentImport        ConsentKind = "import"
	ConsentCarrierOptOut ConsentKind = "carrier-opt-out"
	ConsentAPI           ConsentKind = "api" // added through the HTTP API
)

// ConsentRecord is one append-only line of the consent ledger: when, which
// phone, which list ("" when the event concerned no list), what happened, and
// where that came from: the inbound text with its MessageSid and the service
// number it came to, or the import file and the admin who ran it.
type ConsentRecord struct {
	ID      uint64      `json:"id"`
	At      time.Time   `json:"at"`
	Phone   Phone       `json:"phone"`
	Keyword string      `json:"keyword,omitempty"`
	Kind    ConsentKind `json:"kind"`
	Text    string      `json:"text,omitempty"` // the inbound message
	SID     string      `json:"sid,omitempty"`  // its MessageSid
	To      string      `json:"to,omitempty"`   // the service number it came to
	File    string      `json:"file,omitempty"` // the imported file
	Admin   Phone       `json:"admin,omitempty"`
	Client  Phone       `json:"client,omitempty"` // the client who imported from its dashboard
	Note    string      `json:"note,omitempty"`   // e.g. the source column of an import, "twilio 21610"
	Key     string      `json:"key,omitempty"`    // the API key that added the phone
	Given   time.Time   `json:"given,omitzero"`   // when the phone gave consent, as the API caller states it
}

// Source is the record's origin in one line, as the exports show it.
func (r ConsentRecord) Source() string {
	switch {
	case r.Key != "":
		s := fmt.Sprintf("API key %s: %s", r.Key, r.Note)
		if !r.Given.IsZero() {
			s += ", consent given " + r.Given.UTC().Format(time.RFC3339)
		}
		if r.Text != "" {
			s += fmt.Sprintf(", text %q", r.Text)
		}
		return s
	case r.Client != "":
		s := fmt.Sprintf("import by client %s (dashboard), file %s", r.Client, r.File)
		if r.Note != "" {
			s += ": " + r.Note
		}
		return s
	case r.File != "" || r.Admin != "":
		s := fmt.Sprintf("import by admin %s, file %s", r.Admin, r.File)
		if r.Note != "" {
			s += ": " + r.Note
		}
		return s
	case r.Text != "" || r.SID != "":
		return fmt.Sprintf("text %q, MessageSid %s, to %s", r.Text, r.SID, r.To)
	}
	return r.Note
}

// ConsentLog is where consent records are appended; they are never changed
// except by an erase, which removes the number from them.
type ConsentLog interface {
	// AppendConsent assigns r an ID and stores it.
	AppendConsent(r *ConsentRecord) error
}

// Suppressions remembers erased phones by a keyed hash, never the number:
// an erased phone stays opted out.
type Suppressions interface {
	Suppressed(p Phone) (bool, error)
	// Unsuppress forgets p's entry: the phone itself opted back in.
	Unsuppress(p Phone) error
}

// RecordConsent appends r once for each keyword, or once with no keyword
// when none is given (a STOP from a phone on no list).
func RecordConsent(log ConsentLog, r ConsentRecord, keywords ...string) error {
	if len(keywords) == 0 {
		keywords = []string{r.Keyword}
	}
	for _, kw := range keywords {
		rec := r
		rec.Keyword = kw
		if err := log.AppendConsent(&rec); err != nil {
			return fmt.Errorf("record %s consent for %s: %w", r.Kind, r.Phone, err)
		}
		if err := hookConsent(log, &rec); err != nil {
			return fmt.Errorf("record %s consent for %s: %w", r.Kind, r.Phone, err)
		}
	}
	return nil
}

// RecordCarrierOptOut records that the carrier reported p opted out (Twilio
// error 21610) for each list the opt-out ended; sid is the outbound message
// that drew the error and from its sender ("" for the service number),
// which the record names.
func RecordCarrierOptOut(log ConsentLog, p, from Phone, keywords []string, sid string, at time.Time) error {
	r := ConsentRecord{At: at, Phone: p, Kind: ConsentCarrierOptOut, Note: "twilio 21610 on " + sid, To: string(from)}
	if from != "" {
		r.Note += " from " + string(from)
	}
	return RecordConsent(log, r, keywords...)
}

// Consent records kind for the sender of the turn's message, on each of
// keywords, with the message as its source. An opt-out the provider already
// applied (Twilio's Advanced Opt-Out, OptOutType STOP) is a carrier opt-out.
func (t *Turn) Consent(kind ConsentKind, keywords ...string) error {
	r := ConsentRecord{At: t.Now, Phone: t.In.From, Kind: kind, Text: t.In.Body, SID: t.In.SID, To: t.In.To}
	if t.In.OptOutType != "" {
		r.Note = "twilio advanced opt-out " + t.In.OptOutType
		if kind == ConsentOptOut {
			r.Kind = ConsentCarrierOptOut
		}
	}
	return RecordConsent(t.Tx, r, keywords...)
}

// Source is how a turn's join is shown on the subscription: the text and its
// MessageSid.
func (t *Turn) Source() string {
	return ConsentRecord{Text: t.In.Body, SID: t.In.SID, To: t.In.To}.Source()
}

// ExportTTL is how long a client's export link works (once).
const ExportTTL = 24 * time.Hour

// Export is a client's one-time link to a CSV of its list.
type Export struct {
	Token     string    `json:"-"` // the secret in the link; stored only hashed
	Keyword   string    `json:"keyword"`
	Client    Phone     `json:"client"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"`
}

// Exports keeps clients' export links.
type Exports interface {
	PutExport(e *Export) error
}
