package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nudges/webhooks/twilio/twiliotest"
)

// TestGrowthThroughTheBinary runs the built binary against the fake
// Twilio: the join page and LINK, a tracked link clicked and counted in
// STATS, and a picture announcement delivered as MMS and served at /m/.
func TestGrowthThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "nudges")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dbPath := filepath.Join(dir, "nudges.db")
	seedGrowth(t, dbPath)
	tw := twiliotest.New(t)
	addr := freeAddr(t)
	env := append(os.Environ(),
		"TWILIO_ACCOUNT_SID="+tw.AccountSID, "TWILIO_AUTH_TOKEN="+tw.AuthToken,
		"TWILIO_FROM_NUMBER="+crashNumber, "TWILIO_API_BASE="+tw.URL, "NUDGES_SEND_WINDOW=off",
		"NUDGES_SEND_RATE=100", "NUDGES_DB="+dbPath, "NUDGES_ADDR="+addr, "NUDGES_PUBLIC_URL=http://"+addr)
	startServer(t, bin, env, addr, filepath.Join(dir, "server.log"))
	g := &growthApp{base: "http://" + addr, public: "http://" + addr, tw: tw}

	if code, page := get(t, g.base+"/j/YOGA"); code != 200 || !strings.Contains(page, "Sunrise Yoga") || !strings.Contains(page, "body=JOIN%20YOGA") {
		t.Fatalf("join page: %d %.200s", code, page)
	}
	if code, _ := get(t, g.base+"/j/BAKERY"); code != http.StatusNotFound {
		t.Errorf("pending client's page: %d", code)
	}
	if reply := g.sms(t, growthClient, "LINK"); !strings.Contains(reply, g.public+"/j/YOGA") {
		t.Errorf("LINK answered %q", reply)
	}

	g.sms(t, growthClient, "Open day: https://yoga.example.com/open")
	g.sms(t, growthClient, "CONFIRM")
	body := g.announced(t, 3)["+15552000001"].Form.Get("Body")
	code := regexp.MustCompile(`/l/([0-9A-Za-z]+)`).FindStringSubmatch(body)
	if code == nil || strings.Contains(body, "yoga.example.com") {
		t.Fatalf("delivered %q: no tracked link", body)
	}
	if resp := fetch(t, g.base+"/l/"+code[1], "Mozilla/5.0 (iPhone) Mobile"); resp.StatusCode != http.StatusFound ||
		resp.Header.Get("Location") != "https://yoga.example.com/open" {
		t.Fatalf("click: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	fetch(t, g.base+"/l/"+code[1], "facebookexternalhit/1.1")
	if reply := g.sms(t, growthClient, "STATS"); !strings.Contains(reply, "; 1 link click.") {
		t.Errorf("STATS answered %q", reply)
	}

	pic := pngOf(t, 4, 4)
	before := len(tw.Sent())
	reply := g.sms(t, growthClient, "", "NumMedia", "1", "MediaUrl0", tw.AddMedia("image/png", pic), "MediaContentType0", "image/png")
	if !strings.Contains(reply, "With 1 picture (MMS)") {
		t.Fatalf("picture draft reply %q", reply)
	}
	g.sms(t, growthClient, "CONFIRM")
	var mms string
	waitFor(t, 10*time.Second, "the MMS", func() bool {
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
