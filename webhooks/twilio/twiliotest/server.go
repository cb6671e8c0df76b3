// Package twiliotest is a fake Twilio REST API for tests: an httptest server
// on 127.0.0.1 that answers POST /2010-04-01/Accounts/{sid}/Messages.json
// like Twilio does, records every request, and can be scripted to fail.
//
//	tw := twiliotest.New(t)
//	tw.Script(twiliotest.Response{Status: 429, Code: 20429}, twiliotest.OK)
//	cfg := twilio.Config{AccountSID: tw.AccountSID, AuthToken: tw.AuthToken,
//		From: "+15550000000", APIBase: tw.URL, PublicURL: "https://nudges.test"}
//
// Requests beyond the script get a 201 with a fresh "SM…" sid. The server is
// closed when the test ends. AddMedia makes it serve a picture the way
// Twilio serves an inbound MMS's MediaUrl0 (GET, with basic auth). It also
// plays the numbers endpoints (numbers.go): available numbers, incoming
// numbers, Messaging Services and toll-free verifications, so that
// provisioning runs offline (use its URL as TWILIO_MESSAGING_API_BASE too).
package twiliotest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials the fake server accepts (Twilio's SDK wants them alphanumeric).
const (
	AccountSID = "AC00000000000000000000000000000001"
	AuthToken  = "testauthtoken0000000000000000001"
)

// Response scripts the answer to one request. The zero Status means 201 with
// a new message sid; Drop closes the connection after reading the request,
// without answering (a reset after the request went out).
type Response struct {
	Status  int
	Code    int    // Twilio error code in the JSON body, e.g. 20429, 21610
	Message string // error message; a default is used when empty
	Delay   time.Duration
	Drop    bool
	RawBody string // sent as-is instead of JSON (e.g. an HTML 502 page)
}

// OK is the scripted success: 201 and a new sid.
var OK = Response{}

// Request is one recorded POST to the Messages resource, recorded when it
// arrives (so Count includes requests still waiting on a Delay).
type Request struct {
	AccountSID string     // from the path
	User, Pass string     // basic auth
	Form       url.Values // the posted form (To, From, Body, StatusCallback, …)
	MediaURL   []string   // the MediaUrl values posted (an MMS), nil for an SMS
	Status     int        // what the server answered (0 while pending, or when dropped)
	SID        string     // the message sid given, when Status was 201
	At         time.Time
}

// Server is the fake Twilio API. Its fields are read-only.
type Server struct {
	URL        string // base URL, e.g. http://127.0.0.1:41234 (use as TWILIO_API_BASE)
	AccountSID string
	AuthToken  string

	mu      sync.Mutex
	script  []Response
	delay   time.Duration
	reqs    []Request
	seq     int
	media   map[string]media // path → picture
	fetches int
	nums    numbers // the numbers endpoints (numbers.go)
}

// New starts a fake Twilio on 127.0.0.1, closed at the end of the test.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{AccountSID: AccountSID, AuthToken: AuthToken, nums: defaultNumbers()}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = hs.URL
	t.Cleanup(hs.Close)
	return s
}

// Script queues answers for the next requests, one per request, in order.
func (s *Server) Script(rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, rs...)
}

// SetDelay makes every later request wait d before it is answered (in
// addition to any scripted Delay). A request whose client gives up stops
// waiting.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns a copy of every request recorded so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.reqs))
	copy(out, s.reqs)
	return out
}

// Count is the number of requests recorded so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// Sent returns the requests that were accepted (201), in order.
func (s *Server) Sent() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Status == http.StatusCreated {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.serveNumbers(w, r) {
		return
	}
	if r.Method == http.MethodGet {
		s.serveMedia(w, r)
		return
	}
	sid, ok := accountFromPath(r.URL.Path)
	if r.Method != http.MethodPost || !ok {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 21600, "malformed form: "+err.Error())
		return
	}
	io.Copy(io.Discard, r.Body) // at EOF the server notices a client that gives up
	user, pass, _ := r.BasicAuth()
	i := s.record(Request{AccountSID: sid, User: user, Pass: pass, Form: r.PostForm, MediaURL: r.PostForm["MediaUrl"], At: time.Now()})
	resp, delay := s.next()
	if !wait(r, delay+resp.Delay) {
		return
	}
	if resp.Drop {
		drop(w)
		return
	}
	s.mu.Lock()
	req := s.reqs[i] // one copy, not the whole log: stays fast at 100k requests
	s.mu.Unlock()
	status, msgSID := s.answer(w, req, resp)
	s.mu.Lock()
	s.reqs[i].Status, s.reqs[i].SID = status, msgSID
	s.mu.Unlock()
}

func (s *Server) next() (Response, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) == 0 {
		return OK, s.delay
	}
	r := s.script[0]
	s.script = s.script[1:]
	return r, s.delay
}

// record stores r on arrival and returns its index.
func (s *Server) record(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	return len(s.reqs) - 1
}

// answer writes the response and returns its status and the new sid.
func (s *Server) answer(w http.ResponseWriter, rec Request, resp Response) (int, string) {
	switch {
	case rec.User != s.AccountSID || rec.Pass != s.AuthToken:
		return writeError(w, http.StatusUnauthorized, 20003, "Authenticate"), ""
	case rec.AccountSID != s.AccountSID:
		return writeError(w, http.StatusNotFound, 20404, "account not found"), ""
	case resp.RawBody != "":
		w.WriteHeader(resp.Status)
		fmt.Fprint(w, resp.RawBody)
		return resp.Status, ""
	case resp.Status != 0 && resp.Status != http.StatusCreated:
		msg := resp.Message
		if msg == "" {
			msg = fmt.Sprintf("scripted error %d", resp.Code)
		}
		return writeError(w, resp.Status, resp.Code, msg), ""
	}
	if code, msg := validate(rec.Form); code != 0 {
		return writeError(w, http.StatusBadRequest, code, msg), ""
	}
	s.mu.Lock()
	s.seq++
	sid := fmt.Sprintf("SM%032x", s.seq)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, message(s.AccountSID, sid, rec.Form))
	return http.StatusCreated, sid
}

// validate applies the checks Twilio makes on every message.
func validate(f url.Values) (int, string) {
	switch {
	case f.Get("To") == "":
		return 21604, "A 'To' phone number is required."
	case f.Get("From") == "" && f.Get("MessagingServiceSid") == "":
		return 21603, "A 'From' phone number is required."
	case f.Get("Body") == "" && f.Get("MediaUrl") == "":
		return 21602, "Message body is required."
	case len([]rune(f.Get("Body"))) > 1600:
		return 21617, "The concatenated message body exceeds the 1600 character limit."
	}
	return 0, ""
}

func message(account, sid string, f url.Values) map[string]any {
	now := time.Now().UTC().Format(time.RFC1123Z)
	return map[string]any{
		"sid": sid, "account_sid": account, "to": f.Get("To"), "from": f.Get("From"),
		"messaging_service_sid": f.Get("MessagingServiceSid"), "body": f.Get("Body"),
		"status": "queued", "direction": "outbound-api", "num_segments": "1",
		"num_media": fmt.Sprint(len(f["MediaUrl"])), "api_version": "2010-04-01", "date_created": now,
		"date_updated": now, "uri": "/2010-04-01/Accounts/" + account + "/Messages/" + sid + ".json",
	}
}

func accountFromPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/2010-04-01/Accounts/")
	if !ok {
		return "", false
	}
	sid, ok := strings.CutSuffix(rest, "/Messages.json")
	return sid, ok && sid != "" && !strings.Contains(sid, "/")
}

// wait sleeps d, or less if the client goes away; false if it went away.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

func writeError(w http.ResponseWriter, status, code int, msg string) int {
	writeJSON(w, status, map[string]any{
		"code": code, "message": msg, "status": status,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
	})
	return status
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
