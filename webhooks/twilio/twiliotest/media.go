package twiliotest

import (
	"fmt"
	"net/http"
	"strconv"
)

// media is a picture the fake serves: its content type and bytes.
type media struct {
	ctype string
	data  []byte
}

// AddMedia makes the server serve data as an inbound MMS picture and
// returns its URL, shaped as Twilio's MediaUrl0
// (…/Accounts/{sid}/Messages/MM…/Media/ME…). GET needs the account's basic
// auth, as Twilio's does when HTTP auth for media is on.
func (s *Server) AddMedia(ctype string, data []byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.media == nil {
		s.media = map[string]media{}
	}
	n := len(s.media) + 1 // its own count: message sids stay as they were
	path := fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/MM%032x/Media/ME%032x", s.AccountSID, n, n)
	s.media[path] = media{ctype: ctype, data: data}
	return s.URL + path
}

// MediaFetches is how many media GETs were answered with the picture.
func (s *Server) MediaFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	m, ok := s.media[r.URL.Path]
	s.mu.Unlock()
	user, pass, _ := r.BasicAuth()
	switch {
	case !ok:
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	case user != s.AccountSID || pass != s.AuthToken:
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	s.mu.Lock()
	s.fetches++
	s.mu.Unlock()
	w.Header().Set("Content-Type", m.ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	w.Write(m.data)
}
