package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"nudges/bot"
)

// maxIdempotencyKey bounds an Idempotency-Key header.
const maxIdempotencyKey = 255

// idempotent makes a POST with an Idempotency-Key run once: a retry of the
// same request (method, path, query and body) within bot.IdempotencyKeep
// gets the first answer again; the key with another request is refused
// with 422, and while the first is still running with 409. Answers of 5xx
// are not kept, so such a request may be retried.
func (a *API) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		idem := req.Header.Get("Idempotency-Key")
		if req.Method != http.MethodPost || idem == "" {
			return next(c)
		}
		if !printable(idem) {
			return problem(c, http.StatusBadRequest, KindMalformed, "Idempotency-Key is 1 to 255 printable ASCII characters.")
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return err // over the body limit: echo's 413
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		key, print := keyOf(c).ID, fingerprint(req, body)
		if !a.claim(key, idem) {
			return problem(c, http.StatusConflict, KindIdempotencyBusy, "A request with this Idempotency-Key is still running.")
		}
		defer a.release(key, idem)
		var first *bot.Answer
		if err := a.st.View(func(tx bot.Tx) error { first, err = tx.Answer(key, idem); return err }); err != nil {
			return fail(c, err)
		}
		if first != nil {
			if first.Fingerprint != print {
				return problem(c, http.StatusUnprocessableEntity, KindIdempotencyReused,
					"This Idempotency-Key was used with another request in the last 24 hours.")
			}
			c.Response().Header().Set("Idempotent-Replayed", "true")
			return c.Blob(first.Status, first.ContentType, first.Body)
		}
		rec := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		if err := next(c); err != nil {
			return err
		}
		status := c.Response().Status
		if status >= 500 {
			return nil
		}
		answer := bot.Answer{At: a.clock.Now(), Fingerprint: print, Status: status,
			ContentType: c.Response().Header().Get("Content-Type"), Body: rec.body.Bytes()}
		return a.st.Update(func(tx bot.Tx) error { return tx.PutAnswer(key, idem, answer) })
	}
}

func (a *API) claim(key, idem string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := key + "\x00" + idem
	if a.inflight[k] {
		return false
	}
	a.inflight[k] = true
	return true
}

func (a *API) release(key, idem string) {
	a.mu.Lock()
	delete(a.inflight, key+"\x00"+idem)
	a.mu.Unlock()
}

func printable(s string) bool {
	if len(s) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.RequestURI()+"\n")
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// recorder keeps a copy of what a handler writes.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}
