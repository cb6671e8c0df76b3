package twilio

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/webhooks/twilio/twiliotest"
)

func mediaConfig(base string) Config {
	return Config{AccountSID: twiliotest.AccountSID, AuthToken: twiliotest.AuthToken, From: "+15550000000",
		APIBase: base, PublicURL: "https://nudges.test"}
}

func TestMediaFetchesWithCredentials(t *testing.T) {
	tw := twiliotest.New(t)
	m, err := NewMedia(mediaConfig(tw.URL))
	if err != nil {
		t.Fatal(err)
	}
	pic := bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 100)
	got, err := m.Fetch(context.Background(), tw.AddMedia("image/png", pic), 1000)
	if err != nil || !bytes.Equal(got, pic) || tw.MediaFetches() != 1 {
		t.Fatalf("Fetch = %d bytes, %v (fetches %d)", len(got), err, tw.MediaFetches())
	}
	if _, err := m.Fetch(context.Background(), tw.AddMedia("image/png", pic), 399); !errors.Is(err, bot.ErrTooBig) {
		t.Errorf("over the cap: %v, want ErrTooBig", err)
	}
	for _, u := range []string{
		tw.URL + "/2010-04-01/Accounts/ACother/Messages/MM1/Media/ME1",                     // another account
		"http://127.0.0.1:1/2010-04-01/Accounts/" + tw.AccountSID + "/Media/x",             // another host
		tw.URL + "/2010-04-01/Accounts/" + tw.AccountSID + "/Messages/MMnone/Media/MEnone", // 404
		"::not a url",
	} {
		if _, err := m.Fetch(context.Background(), u, 1000); err == nil {
			t.Errorf("Fetch(%s) succeeded", u)
		}
	}
}

// A picture streamed without a length is cut at the cap, not read whole;
// a redirect gets no credentials, even to the API base's own host on
// another port (Go would send them there).
func TestMediaCapsStreamsAndDropsAuthOnRedirect(t *testing.T) {
	var cdnAuth string
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cdnAuth = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "image/gif")
		for range 64 { // 64 KiB, flushed in pieces: no Content-Length
			w.Write(bytes.Repeat([]byte("G"), 1024))
			w.(http.Flusher).Flush()
		}
	}))
	defer cdn.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := r.BasicAuth(); !ok {
			http.Error(w, "auth", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, cdn.URL+"/pic.gif", http.StatusTemporaryRedirect) // 127.0.0.1, another port
	}))
	defer api.Close()
	m, err := NewMedia(mediaConfig(api.URL))
	if err != nil {
		t.Fatal(err)
	}
	u := api.URL + "/2010-04-01/Accounts/" + twiliotest.AccountSID + "/Messages/MM1/Media/ME1"
	if _, err := m.Fetch(context.Background(), u, 10_000); !errors.Is(err, bot.ErrTooBig) {
		t.Fatalf("streamed 64 KiB with a 10 kB cap: %v", err)
	}
	if cdnAuth != "" {
		t.Errorf("the CDN got credentials %q", cdnAuth)
	}
	got, err := m.Fetch(context.Background(), u, 1<<20)
	if err != nil || len(got) != 64<<10 {
		t.Errorf("under the cap: %d bytes, %v", len(got), err)
	}
}

func TestMediaRefusesToLeaveTheMachineInTests(t *testing.T) {
	if _, err := NewMedia(mediaConfig("")); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("default API base in a test binary: %v, want ErrNotLoopback", err)
	}
	if _, err := NewMedia(mediaConfig("https://api.twilio.com")); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("api.twilio.com in a test binary: %v, want ErrNotLoopback", err)
	}
}

func TestMediaRedirectOffTheMachineIsRefusedInTests(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://media.twiliocdn.com/pic.png", http.StatusTemporaryRedirect) // allowed, but off the machine
	}))
	defer api.Close()
	m, err := NewMedia(mediaConfig(api.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Fetch(context.Background(), api.URL+"/2010-04-01/Accounts/"+twiliotest.AccountSID+"/Media/ME1", 1000)
	if !errors.Is(err, ErrNotLoopback) {
		t.Errorf("redirect to media.twiliocdn.com: %v, want ErrNotLoopback", err)
	}
}

// TestMediaFollowsRedirectsOnlyToTwilio: a redirect to a host that is not
// Twilio's media host (nor the configured API base's) is not followed, and
// the picture is refused; no credentials leave on any hop.
func TestMediaFollowsRedirectsOnlyToTwilio(t *testing.T) {
	var hits int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Write([]byte("GIF89a"))
	}))
	defer other.Close()
	var target string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusFound)
	}))
	defer api.Close()
	m, err := NewMedia(mediaConfig(api.URL))
	if err != nil {
		t.Fatal(err)
	}
	u := api.URL + "/2010-04-01/Accounts/" + twiliotest.AccountSID + "/Messages/MM1/Media/ME1"
	for _, to := range []string{
		strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/pic.gif", // another host name
		"http://10.0.0.5/pic.gif", "http://169.254.169.254/latest/meta-data/", "http://[::1]:1/pic.gif",
		"https://evil.example.com/pic.gif", "https://twiliocdn.com.evil.example/pic.gif", "ftp://api.twilio.com/x",
		"http://media.twiliocdn.com/pic.gif", // Twilio's host, but not over https
	} {
		target = to
		if _, err := m.Fetch(context.Background(), u, 1000); err == nil || !errors.Is(err, errRedirectRefused) {
			t.Errorf("redirect to %s: %v, want errRedirectRefused", to, err)
		}
	}
	if hits != 0 {
		t.Errorf("the other host was fetched %d times", hits)
	}
}

func TestMediaRedirectHosts(t *testing.T) {
	m, err := NewMedia(mediaConfig("http://127.0.0.1:4000"))
	if err != nil {
		t.Fatal(err)
	}
	for raw, ok := range map[string]bool{
		"https://api.twilio.com/2010-04-01/x": true, "https://media.twiliocdn.com/x": true,
		"https://mms.twiliocdn.com/x": true, "http://127.0.0.1:4000/x": true, "http://127.0.0.1:4001/x": true,
		"http://api.twilio.com/x": false, "https://twiliocdn.com.example.com/x": false, "https://eviltwiliocdn.com/x": false,
		"https://localhost/x": false, "http://localhost:4000/x": false, "https://127.0.0.1:4000/x": false,
	} {
		u, _ := url.Parse(raw)
		if got := m.redirectAllowed(u); got != ok {
			t.Errorf("redirectAllowed(%s) = %v, want %v", raw, got, ok)
		}
	}
}
