package web

import (
	"html"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestHomeIsAnHTMLPageWithLinks: / is an HTML page, not monospace text:
// what the service is, the number to text, how join pages work, and a
// link to the console's login.
func TestHomeIsAnHTMLPageWithLinks(t *testing.T) {
	srv, _ := newSite(t)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body := html.UnescapeString(string(raw))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<!doctype html>", `<meta name="viewport"`, `href="/admin/login"`,
		"+15550000000", "/j/KEYWORD", "STOP", "SIGNUP", `href="sms:+15550000000"`} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %q:\n%s", want, body)
		}
	}
	if resp, err := http.Get(srv.URL + "/nope"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /nope: %d, want 404", resp.StatusCode)
		}
	}
}
