package app

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// upload posts a multipart import form from b with the CSRF token tok in
// the query (as the page's form does) and returns the answer.
func (b *browser) upload(tok string, fields map[string]string, name, content string) resp {
	b.h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(content))
	}
	mw.Close()
	path := uploadPath
	if tok != "" {
		path += "?_csrf=" + url.QueryEscape(tok)
	}
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.RemoteAddr = b.addr + ":40000"
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.h.e.ServeHTTP(rec, req)
	return resp{rec.Code, rec.Header().Get("Location"), rec.Body.String()}
}

// waitImport follows an import's status page until it is done.
func (b *browser) waitImport(path string) string {
	b.h.t.Helper()
	for range 200 {
		if r := b.get(path); !strings.Contains(r.Body, "Importing:") {
			return r.Body
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.h.t.Fatalf("import at %s did not finish", path)
	return ""
}

// onList is keyword's members.
func (h *harness) onList(keyword string) map[bot.Phone]bool {
	out := map[bot.Phone]bool{}
	h.write(func(tx *store.Tx) error {
		return tx.EachSubscriber(keyword, func(s bot.Subscription) error { out[s.Phone] = true; return nil })
	})
	return out
}

// The dashboard's import is the console's rules onto the signed-in
// client's own list: a keyword in the form is ignored, opted-out phones are
// skipped, invalid rows are listed by line, and nobody is texted.
func TestImportGoesOntoOwnListOnly(t *testing.T) {
	h := newHarness(t)
	h.text("+15552000003", "STOP") // opted out of everything
	a := h.signedIn(phoneA)
	tok := a.token("/app/subscribers/import")
	csvText := "phone,language,source\n+1 555 200 0001,es,website\n(555) 200-0002,,\n+15552000003,,\nnot a phone,,\n+15552000001,,\n"
	r := a.upload(tok, map[string]string{"consent": "yes", "keyword": "GYM"}, "old.csv", csvText)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Loc, uploadPath+"/") {
		t.Fatalf("upload: %d %q %s", r.Status, r.Loc, r.Body)
	}
	body := a.waitImport(r.Loc)
	mustContain(t, body, "<dt>Added</dt><dd>2</dd>", "<dt>Already on the list</dt><dd>1</dd>",
		"<dt>Skipped as opted out</dt><dd>1</dd>", "<dt>Invalid</dt><dd>1</dd>", "<td class=\"n\">5</td>", "not a phone number")
	yoga, gym := h.onList("YOGA"), h.onList("GYM")
	if !yoga["+15552000001"] || !yoga["+15552000002"] || yoga["+15552000003"] || len(gym) != 0 {
		t.Errorf("YOGA %v, GYM %v", yoga, gym)
	}
	if r := a.get("/app/subscribers?q=5552000001"); !strings.Contains(r.Body, "import (old.csv)") {
		t.Error("an imported phone's source is not the import")
	}
	var records []string
	h.db.EachConsent("YOGA", 100, func(r bot.ConsentRecord) error {
		if r.Kind == bot.ConsentImport {
			records = append(records, r.Source())
		}
		return nil
	})
	if len(records) != 2 || records[0] != "import by client +15550001111 (dashboard), file old.csv: website" {
		t.Errorf("consent records: %q", records)
	}
	if texts := h.outboxTo("+15552000001"); len(texts) != 0 {
		t.Errorf("an imported phone was texted: %v", texts)
	}
	// B cannot read A's import's status page.
	if r := h.signedIn(phoneB).get(r.Loc); r.Status != http.StatusNotFound {
		t.Errorf("B reads A's import: %d", r.Status)
	}
}

// Bad uploads: no consent box, no file, a file over the limit, a token
// only inside the multipart body (never parsed for it), and a second
// import while one runs.
func TestImportRefusesBadUploads(t *testing.T) {
	h := newHarness(t)
	a := h.signedIn(phoneA)
	tok := a.token("/app/subscribers/import")
	good := "phone\n+15552000001\n"
	for name, c := range map[string]struct {
		tok, consent, file, content string
		want                        int
		says                        string
	}{
		"no consent":    {tok, "", "a.csv", good, http.StatusBadRequest, "agreed to get texts"},
		"no file":       {tok, "yes", "", "", http.StatusBadRequest, "Choose a CSV file"},
		"too big":       {tok, "yes", "big.csv", "phone\n" + strings.Repeat("+15552000001\n", maxUpload/13+1), http.StatusBadRequest, "larger than 20 MB"},
		"token in body": {"", "yes", "a.csv", good, http.StatusForbidden, "expired"},
	} {
		fields := map[string]string{"consent": c.consent}
		if c.tok == "" {
			fields["_csrf"] = tok
		}
		r := a.upload(c.tok, fields, c.file, c.content)
		if r.Status != c.want || !strings.Contains(r.Body, c.says) {
			t.Errorf("%s: %d, want %d saying %q", name, r.Status, c.want, c.says)
		}
	}
	if len(h.onList("YOGA")) != 0 {
		t.Error("a refused upload imported")
	}
	importOf(h, phoneA) // a job onto YOGA that has not finished
	if r := a.upload(tok, map[string]string{"consent": "yes"}, "a.csv", good); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "still running") {
		t.Errorf("a second import while one runs: %d", r.Status)
	}
}

// A suspended client sees the import page without its form.
func TestImportPageOfSuspendedClientHasNoForm(t *testing.T) {
	h := newHarness(t)
	r := h.session(phoneSusp).get("/app/subscribers/import")
	if r.Status != http.StatusOK || strings.Contains(r.Body, `type="file"`) || !strings.Contains(r.Body, "not available") {
		t.Errorf("suspended import page: %d\n%s", r.Status, r.Body)
	}
}

// outboxTo is every text queued to p.
func (h *harness) outboxTo(p bot.Phone) []string {
	h.t.Helper()
	var out []string
	h.write(func(tx *store.Tx) error {
		ms, err := tx.RecentOutboxTo(p, 100, 10000)
		for _, m := range ms {
			out = append(out, m.Body)
		}
		return err
	})
	return out
}
