package twiliotest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, s *Server, account, user string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/2010-04-01/Accounts/"+account+"/Messages.json",
		strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, AuthToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

var msg = url.Values{"To": {"+15550001111"}, "From": {"+15559990000"}, "Body": {"hi"}}

func TestScriptThenDefaultSuccess(t *testing.T) {
	s := New(t)
	s.Script(Response{Status: 429, Code: 20429}, Response{Status: 400, Code: 21610, Message: "opted out"})
	wants := []struct {
		status int
		code   float64
	}{{429, 20429}, {400, 21610}, {201, 0}, {201, 0}}
	for i, w := range wants {
		status, body := post(t, s, AccountSID, AccountSID, msg)
		if status != w.status {
			t.Fatalf("request %d: %d %v", i, status, body)
		}
		if w.code != 0 && body["code"] != w.code {
			t.Errorf("request %d: code %v, want %v", i, body["code"], w.code)
		}
		if status == 201 && !strings.HasPrefix(body["sid"].(string), "SM") {
			t.Errorf("request %d: sid %v", i, body["sid"])
		}
	}
	reqs, sent := s.Requests(), s.Sent()
	if s.Count() != 4 || len(reqs) != 4 || len(sent) != 2 || sent[0].SID == sent[1].SID {
		t.Fatalf("count %d, requests %d, sent %+v", s.Count(), len(reqs), sent)
	}
	if reqs[0].Status != 429 || reqs[0].Form.Get("Body") != "hi" || reqs[0].AccountSID != AccountSID {
		t.Errorf("first request %+v", reqs[0])
	}
}

func TestChecksLikeTwilio(t *testing.T) {
	s := New(t)
	if status, _ := post(t, s, AccountSID, "ACwrong", msg); status != 401 {
		t.Errorf("wrong credentials: %d", status)
	}
	noTo := url.Values{"From": {"+15559990000"}, "Body": {"hi"}}
	if status, body := post(t, s, AccountSID, AccountSID, noTo); status != 400 || body["code"] != float64(21604) {
		t.Errorf("missing To: %d %v", status, body)
	}
	long := url.Values{"To": {"+1555"}, "From": {"+1555"}, "Body": {strings.Repeat("x", 1601)}}
	if status, body := post(t, s, AccountSID, AccountSID, long); status != 400 || body["code"] != float64(21617) {
		t.Errorf("1601 characters: %d %v", status, body)
	}
	if len(s.Sent()) != 0 || s.Count() != 3 {
		t.Errorf("sent %d of %d", len(s.Sent()), s.Count())
	}
}

func TestDelayIsCountedOnArrival(t *testing.T) {
	s := New(t)
	s.SetDelay(time.Minute)
	client := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/2010-04-01/Accounts/"+AccountSID+"/Messages.json",
		strings.NewReader(msg.Encode()))
	if _, err := client.Do(req); err == nil {
		t.Fatal("a delayed request was answered")
	}
	if s.Count() != 1 || s.Requests()[0].Status != 0 {
		t.Fatalf("requests %+v", s.Requests())
	}
}
