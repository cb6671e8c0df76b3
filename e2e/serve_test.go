package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/webhooks/twilio"
	"nudges/webhooks/twilio/twiliotest"
)

func TestServeEndpointsAndCleanStop(t *testing.T) {
	s := Start(t, Options{})
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/": "STOP", "/admin/login": "<form"} {
		code, body := Get(t, s.URL+path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d %.80q, want 200 containing %q", path, code, body, want)
		}
	}
	form := url.Values{"MessageSid": {"SMserve1"}, "From": {"+15550001111"}, "To": {Number}, "Body": {"HELP"}}
	resp, err := http.PostForm(s.URL+"/twilio/sms", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<Message>") || !strings.Contains(string(b), "STOP") {
		t.Fatalf("POST /twilio/sms = %d %s", resp.StatusCode, b)
	}
	s.Stop(t, 30*time.Second)
	if _, err := http.Get(s.URL + "/healthz"); err == nil {
		t.Fatal("still serving after stop")
	}
}

func TestDevEndpointsOnlyWithoutTwilio(t *testing.T) {
	s := Start(t, Options{Env: []string{"NUDGES_ADMIN_PHONES=" + admin}})
	if code, _ := Get(t, s.URL+"/dev/messages?phone=%2B15550001111&after=0"); code != 200 {
		t.Fatalf("dev feed without Twilio: %d, want 200", code)
	}
	// A console login code is queued for the admin phone but never shown by
	// the feed, which asks no credentials.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(s.URL + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the login page")
	}
	resp, err = c.PostForm(s.URL+"/admin/login", url.Values{"_csrf": {string(m[1])}, "phone": {admin}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code, body := Get(t, s.URL+"/dev/messages?phone=%2B15550001234&after=0"); code != 200 || strings.Contains(body, "code") {
		t.Fatalf("dev feed for the admin phone: %d %s; want no login code", code, body)
	}
}

func TestWithTwilioWebhooksMustBeSignedAndDevRoutesAreGone(t *testing.T) {
	fake := twiliotest.New(t)
	s := Start(t, Options{Twilio: fake, Env: []string{"NUDGES_PUBLIC_URL="}})
	if code, _ := Get(t, s.URL+"/dev/messages?phone=%2B15550001111&after=0"); code != http.StatusNotFound {
		t.Errorf("dev feed with Twilio configured: %d, want 404", code)
	}
	form := url.Values{"MessageSid": {"SMsigned1"}, "From": {"+15550001111"}, "To": {Number}, "Body": {"HELP"}}
	resp, err := http.PostForm(s.URL+"/twilio/sms", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned webhook: %d, want 403", resp.StatusCode)
	}
	// Signed over NUDGES_PUBLIC_URL's default (http://localhost:PORT), it is answered.
	if !strings.HasPrefix(s.Public, "http://localhost:") {
		t.Fatalf("default public URL %q", s.Public)
	}
	req, _ := http.NewRequest("POST", s.URL+"/twilio/sms", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilio.Sign(fake.AuthToken, s.Public+"/twilio/sms", form))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<Message>") {
		t.Fatalf("signed webhook: %d %s", resp.StatusCode, b)
	}
}
