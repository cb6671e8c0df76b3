package twiliotest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The numbers side of the fake: available numbers (local and toll-free),
// the account's incoming numbers, Messaging Services with their numbers and
// toll-free verifications, kept in memory so that provisioning runs
// offline. Paths are Twilio's: /2010-04-01/Accounts/{sid}/… on the REST
// API and /v1/… on the Messaging API (point TWILIO_MESSAGING_API_BASE here
// too).

// Incoming is a number the account owns.
type Incoming struct {
	SID, Phone, FriendlyName string
}

// Service is a Messaging Service and the number sids added to it.
type Service struct {
	SID, FriendlyName, InboundRequestURL, StatusCallback string
	Numbers                                              []string
}

// Verification is a toll-free verification: the form as posted and its
// status (PENDING_REVIEW until SetVerification says otherwise).
type Verification struct {
	SID, Status, Reason string
	Form                url.Values
}

// Call is one request to the numbers endpoints.
type Call struct {
	Method, Path string
	Form         url.Values // the posted form, or the query of a GET
	Status       int
}

type numbers struct {
	local, tollFree []string // available to buy
	incoming        []Incoming
	services        []Service
	verifications   []Verification
	calls           []Call
	script          []Response
	bought          int
}

func defaultNumbers() numbers {
	return numbers{
		local:    []string{"+12125550150", "+12125550151", "+13125550152", "+14155550153", "+16465550154"},
		tollFree: []string{"+18335550100", "+18445550101"},
	}
}

// SetAvailable replaces the numbers the fake offers for sale: kind is
// "Local" or "TollFree". A number whose area code is the filter's is found
// by AreaCode; one whose area code starts with the same digit as the
// NearNumber's is "near" it.
func (s *Server) SetAvailable(kind string, phones ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kind == "TollFree" {
		s.nums.tollFree = slices.Clone(phones)
	} else {
		s.nums.local = slices.Clone(phones)
	}
}

// ScriptNumbers queues answers for the next requests to the numbers
// endpoints (not Messages), one per request: an error Status fails it; a
// Status of 0 lets it through, its answer held back Delay (the purchase is
// made, the caller hears of it late or never).
func (s *Server) ScriptNumbers(rs ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nums.script = append(s.nums.script, rs...)
}

// Purchases is how many numbers were bought (POST IncomingPhoneNumbers).
func (s *Server) Purchases() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nums.bought
}

// Incoming returns the numbers the account owns now.
func (s *Server) Incoming() []Incoming {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.nums.incoming)
}

// AddIncoming gives the account a number it already owns (for assigning
// one by hand) and returns its sid.
func (s *Server) AddIncoming(phone, friendlyName string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nums.buy(phone, friendlyName).SID
}

// Services returns the Messaging Services.
func (s *Server) Services() []Service {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.nums.services)
	for i := range out {
		out[i].Numbers = slices.Clone(out[i].Numbers)
	}
	return out
}

// Verifications returns the toll-free verifications submitted.
func (s *Server) Verifications() []Verification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.nums.verifications)
}

// SetVerification sets a verification's status (TWILIO_APPROVED,
// TWILIO_REJECTED, IN_REVIEW…) and rejection reason.
func (s *Server) SetVerification(sid, status, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.nums.verifications {
		if s.nums.verifications[i].SID == sid {
			s.nums.verifications[i].Status, s.nums.verifications[i].Reason = status, reason
		}
	}
}

// Calls returns every request to the numbers endpoints, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.nums.calls)
}

func (n *numbers) buy(phone, friendlyName string) Incoming {
	in := Incoming{SID: fmt.Sprintf("PN%032x", len(n.incoming)+1+n.bought*1000), Phone: phone, FriendlyName: friendlyName}
	n.incoming = append(n.incoming, in)
	n.local = slices.DeleteFunc(n.local, func(p string) bool { return p == phone })
	n.tollFree = slices.DeleteFunc(n.tollFree, func(p string) bool { return p == phone })
	return in
}

// serveNumbers answers the numbers endpoints; false for any other path.
func (s *Server) serveNumbers(w http.ResponseWriter, r *http.Request) bool {
	route, arg, ok := numbersRoute(r.Method, r.URL.Path)
	if !ok {
		return false
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 21600, "malformed form: "+err.Error())
		return true
	}
	form := r.PostForm
	if r.Method == http.MethodGet {
		form = r.URL.Query()
	}
	user, pass, _ := r.BasicAuth()
	rec := httptest.NewRecorder()
	s.mu.Lock()
	status, delay := s.answerNumbers(rec, route, arg, form, user == s.AccountSID && pass == s.AuthToken)
	s.nums.calls = append(s.nums.calls, Call{Method: r.Method, Path: r.URL.Path, Form: form, Status: status})
	s.mu.Unlock()
	if !wait(r, delay) { // done at "Twilio", but the answer never reaches the caller
		return true
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
	return true
}

// answerNumbers runs one numbers request with s.mu held, and says how
// long to hold the answer back (a scripted Delay: the request is done, its
// answer late).
func (s *Server) answerNumbers(w http.ResponseWriter, route, arg string, form url.Values, authed bool) (int, time.Duration) {
	if !authed {
		return writeError(w, http.StatusUnauthorized, 20003, "Authenticate"), 0
	}
	var resp Response
	if len(s.nums.script) > 0 {
		resp = s.nums.script[0]
		s.nums.script = s.nums.script[1:]
		if resp.Status >= 300 {
			return writeError(w, resp.Status, resp.Code, cmpMsg(resp)), resp.Delay
		}
	}
	return s.runNumbers(w, route, arg, form), resp.Delay
}

// runNumbers does what one numbers request asks.
func (s *Server) runNumbers(w http.ResponseWriter, route, arg string, form url.Values) int {
	n := &s.nums
	switch route {
	case "available":
		return writeList(w, "available_phone_numbers", available(n, arg, form))
	case "buy":
		return s.buyNumber(w, form)
	case "incoming":
		return writeList(w, "incoming_phone_numbers", incoming(n, form))
	case "release":
		return releaseNumber(w, n, arg)
	case "services":
		return writeList(w, "services", services(n))
	case "newService":
		sv := Service{SID: fmt.Sprintf("MG%032x", len(n.services)+1), FriendlyName: form.Get("FriendlyName"),
			InboundRequestURL: form.Get("InboundRequestUrl"), StatusCallback: form.Get("StatusCallback")}
		n.services = append(n.services, sv)
		return writeRecord(w, http.StatusCreated, serviceJSON(sv))
	case "serviceNumber":
		return addToService(w, n, arg, form.Get("PhoneNumberSid"))
	case "verify":
		v := Verification{SID: fmt.Sprintf("HH%032x", len(n.verifications)+1), Status: "PENDING_REVIEW", Form: form}
		n.verifications = append(n.verifications, v)
		return writeRecord(w, http.StatusCreated, verificationJSON(v))
	case "verification":
		for _, v := range n.verifications {
			if v.SID == arg {
				return writeRecord(w, http.StatusOK, verificationJSON(v))
			}
		}
	}
	return writeError(w, http.StatusNotFound, 20404, "The requested resource was not found")
}

func cmpMsg(r Response) string {
	if r.Message != "" {
		return r.Message
	}
	return fmt.Sprintf("scripted error %d", r.Code)
}

// numbersRoute names the endpoint of method and path, with its argument
// (a sid, or the kind of available number).
func numbersRoute(method, p string) (route, arg string, ok bool) {
	if rest, ok := strings.CutPrefix(p, "/v1/"); ok {
		return messagingRoute(method, rest)
	}
	rest, ok := strings.CutPrefix(p, "/2010-04-01/Accounts/"+AccountSID+"/")
	if !ok {
		return "", "", false
	}
	switch {
	case method == http.MethodGet && (rest == "AvailablePhoneNumbers/US/Local.json" || rest == "AvailablePhoneNumbers/US/TollFree.json"):
		return "available", strings.TrimSuffix(strings.TrimPrefix(rest, "AvailablePhoneNumbers/US/"), ".json"), true
	case rest == "IncomingPhoneNumbers.json" && method == http.MethodPost:
		return "buy", "", true
	case rest == "IncomingPhoneNumbers.json" && method == http.MethodGet:
		return "incoming", "", true
	case strings.HasPrefix(rest, "IncomingPhoneNumbers/") && method == http.MethodDelete:
		return "release", strings.TrimSuffix(strings.TrimPrefix(rest, "IncomingPhoneNumbers/"), ".json"), true
	}
	return "", "", false
}

func messagingRoute(method, rest string) (string, string, bool) {
	switch {
	case rest == "Services" && method == http.MethodGet:
		return "services", "", true
	case rest == "Services" && method == http.MethodPost:
		return "newService", "", true
	case strings.HasPrefix(rest, "Services/") && strings.HasSuffix(rest, "/PhoneNumbers") && method == http.MethodPost:
		return "serviceNumber", strings.TrimSuffix(strings.TrimPrefix(rest, "Services/"), "/PhoneNumbers"), true
	case rest == "Tollfree/Verifications" && method == http.MethodPost:
		return "verify", "", true
	case strings.HasPrefix(rest, "Tollfree/Verifications/") && method == http.MethodGet:
		return "verification", strings.TrimPrefix(rest, "Tollfree/Verifications/"), true
	}
	return "", "", false
}
