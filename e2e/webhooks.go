package e2e

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"nudges/webhooks/twilio"
	"nudges/webhooks/twilio/twiliotest"
)

// Number is the service's number (TWILIO_FROM_NUMBER, the To of inbound SMS).
const Number = "+15550000000"

// Webhooks posts Twilio's webhooks to a service at URL, signed with Token
// over its public URL as Twilio does (unsigned when Token is empty and the
// service runs the console driver, which checks none).
type Webhooks struct {
	URL    string // where the service listens: http://host:port
	Public string // its NUDGES_PUBLIC_URL, which signatures cover
	Token  string // TWILIO_AUTH_TOKEN
}

var client = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

var sids atomic.Int64

// NewSID is a MessageSid no other test message has.
func NewSID() string { return fmt.Sprintf("SMe2e%010d", sids.Add(1)) }

// Post posts form to path, signed, and returns the status and body. It is
// safe from any goroutine and fails no test.
func (w Webhooks) Post(path string, form url.Values) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, w.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Sign(w.Token, w.Public+path, form))
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), err
}

// Inbound posts one inbound SMS (extra form fields added, as pairs) and
// returns the status and the TwiML answer.
func (w Webhooks) Inbound(sid, from, body string, extra ...string) (int, string, error) {
	form := url.Values{"MessageSid": {sid}, "AccountSid": {twiliotest.AccountSID}, "From": {from}, "To": {Number},
		"Body": {body}, "NumMedia": {"0"}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return w.Post(twilio.PathSMS, form)
}

// SMS posts an inbound SMS under a fresh MessageSid, fails the test
// unless it is answered 200, and returns the reply's text.
func (w Webhooks) SMS(t testing.TB, from, body string, extra ...string) string {
	t.Helper()
	code, twiml, err := w.Inbound(NewSID(), from, body, extra...)
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusOK {
		t.Fatalf("%s %q: %d %s", from, body, code, twiml)
	}
	return ReplyText(twiml)
}

// ReplyText is the text of a TwiML answer's Message ("" if none).
func ReplyText(twiml string) string {
	var doc struct {
		Message string `xml:"Message"`
	}
	xml.Unmarshal([]byte(twiml), &doc)
	return doc.Message
}

// Status posts a status callback for sid and fails the test unless it is
// answered 200.
func (w Webhooks) Status(t testing.TB, sid, status string) {
	t.Helper()
	form := url.Values{"MessageSid": {sid}, "MessageStatus": {status}, "AccountSid": {twiliotest.AccountSID}}
	code, body, err := w.Post(twilio.PathStatus, form)
	if err != nil || code != http.StatusOK {
		t.Fatalf("status callback: %d %v %s", code, err, body)
	}
}

// Get fetches u and returns the status and body.
func Get(t testing.TB, u string) (int, string) {
	t.Helper()
	code, body, err := get(u)
	if err != nil {
		t.Fatal(err)
	}
	return code, body
}

func get(u string) (int, string, error) {
	resp, err := client.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// Fetch GETs u as the given User-Agent ("" sends none) without following
// redirects; the body is read and closed.
func Fetch(t testing.TB, u, agent string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header["User-Agent"] = []string{agent}
	c := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}
