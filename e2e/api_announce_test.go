package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio/twiliotest"
)

// apiCall makes one API request with key and decodes the answer.
func apiCall(t *testing.T, s *Server, key, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var out map[string]any
	json.Unmarshal(data, &out)
	return res.StatusCode, out
}

// TestAPIAnnouncementThroughTheBinary: an announcement with a picture made
// through the API of the real binary reaches every subscriber at the fake
// Twilio as an MMS of the kept picture (fetched from a receiver on
// 127.0.0.1, which NUDGES_WEBHOOK_ALLOW lets through) and completes; a
// reply to it is a thread the API answers, and the answer reaches the
// subscriber.
func TestAPIAnnouncementThroughTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	var pic bytes.Buffer
	png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 2, 2)))
	pics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(pic.Bytes()) }))
	defer pics.Close()
	tw := twiliotest.New(t)
	db := filepath.Join(t.TempDir(), "nudges.db")
	subs := SeedList(t, db, 5)
	var key string
	withFile(t, db, func(d *store.DB) error {
		var err error
		key, _, err = bot.CreateAPIKey(d, time.Now(), Client, "", "e2e")
		return err
	})
	s := Start(t, Options{DB: db, Twilio: tw, Env: []string{"NUDGES_WEBHOOK_ALLOW=127.0.0.1/32"}})
	defer s.Stop(t, 10*time.Second)

	code, a := apiCall(t, s, key, "POST", "/api/v1/announcements", `{"text":"Look at this","picture_url":"`+pics.URL+`/a.png"}`)
	kept, _ := a["picture_url"].(string)
	if code != 201 || a["sending_now"] != 5.0 || !strings.HasPrefix(kept, s.Public+"/m/") {
		t.Fatalf("create: %d %v", code, a)
	}
	for to, r := range announced(t, tw, len(subs)) {
		if r.Form.Get("MediaUrl") != kept {
			t.Errorf("%s got MediaUrl %q, want %q", to, r.Form.Get("MediaUrl"), kept)
		}
	}
	id, _ := a["id"].(float64)
	path := fmt.Sprintf("/api/v1/announcements/%d", int(id))
	WaitFor(t, 10*time.Second, "the announcement to complete", func() bool {
		_, got := apiCall(t, s, key, "GET", path, "")
		return got["status"] == "completed"
	})

	s.SMS(t, string(subs[0]), "is class full?")
	code, page := apiCall(t, s, key, "GET", "/api/v1/replies", "")
	if data, _ := page["data"].([]any); code != 200 || len(data) != 1 {
		t.Fatalf("replies: %d %v", code, page)
	}
	if code, th := apiCall(t, s, key, "POST", "/api/v1/replies/1", `{"text":"Two spots left"}`); code != 201 {
		t.Fatalf("answer: %d %v", code, th)
	}
	WaitFor(t, 10*time.Second, "the answer at the fake Twilio", func() bool {
		for _, r := range tw.Sent() {
			if r.Form.Get("To") == string(subs[0]) && r.Form.Get("Body") == ClientName+": Two spots left" {
				return true
			}
		}
		return false
	})
}
