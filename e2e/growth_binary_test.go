package e2e

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/webhooks/twilio/twiliotest"
)

// TestGrowthThroughTheBinary: with the public URL the server's own
// address, the join page and LINK, a tracked link clicked and counted in
// STATS, and a picture announcement delivered as MMS and served at /m/.
func TestGrowthThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	db := filepath.Join(t.TempDir(), "nudges.db")
	Update(t, db, seedGrowth)
	tw := twiliotest.New(t)
	s := Start(t, Options{DB: db, Twilio: tw})

	if code, page := Get(t, s.URL+"/j/YOGA"); code != 200 || !strings.Contains(page, "Sunrise Yoga") || !strings.Contains(page, "body=JOIN%20YOGA") {
		t.Fatalf("join page: %d %.200s", code, page)
	}
	if code, _ := Get(t, s.URL+"/j/BAKERY"); code != http.StatusNotFound {
		t.Errorf("pending client's page: %d", code)
	}
	if reply := s.SMS(t, Client, "LINK"); !strings.Contains(reply, s.Public+"/j/YOGA") {
		t.Errorf("LINK answered %q", reply)
	}

	s.SMS(t, Client, "Open day: https://yoga.example.com/open")
	s.SMS(t, Client, "CONFIRM")
	body := announced(t, tw, 3)["+15552000001"].Form.Get("Body")
	code := regexp.MustCompile(`/l/([0-9A-Za-z]+)`).FindStringSubmatch(body)
	if code == nil || strings.Contains(body, "yoga.example.com") {
		t.Fatalf("delivered %q: no tracked link", body)
	}
	if resp := Fetch(t, s.URL+"/l/"+code[1], "Mozilla/5.0 (iPhone) Mobile"); resp.StatusCode != http.StatusFound ||
		resp.Header.Get("Location") != "https://yoga.example.com/open" {
		t.Fatalf("click: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	Fetch(t, s.URL+"/l/"+code[1], "facebookexternalhit/1.1")
	if reply := s.SMS(t, Client, "STATS"); !strings.Contains(reply, "; 1 link click.") {
		t.Errorf("STATS answered %q", reply)
	}

	pic := pngOf(t, 4, 4)
	before := len(tw.Sent())
	reply := s.SMS(t, Client, "", "NumMedia", "1", "MediaUrl0", tw.AddMedia("image/png", pic), "MediaContentType0", "image/png")
	if !strings.Contains(reply, "With 1 picture (MMS)") {
		t.Fatalf("picture draft reply %q", reply)
	}
	s.SMS(t, Client, "CONFIRM")
	var mms string
	WaitFor(t, 10*time.Second, "the MMS", func() bool {
		for _, r := range tw.Sent()[before:] {
			if r.Form.Get("To") == "+15552000002" && len(r.MediaURL) == 1 {
				mms = r.MediaURL[0]
			}
		}
		return mms != ""
	})
	resp, err := http.Get(mms)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(served, pic) {
		t.Errorf("GET %s = %d, %d bytes", mms, resp.StatusCode, len(served))
	}
}
