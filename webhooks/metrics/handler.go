package metrics

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Register mounts GET /metrics on e.
func (m *Metrics) Register(e *echo.Echo) { e.GET(Path, echo.WrapHandler(m.Handler())) }

// Handler serves the registry to loopback peers whose request did not come
// through a proxy, and to anyone with the Bearer token when one is set.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError, // a failed store read leaves the rest served
		ErrorLog:      errorLog{},
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m.allowed(r) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintln(w, "metrics are served to loopback peers only, or with Authorization: Bearer <NUDGES_METRICS_TOKEN>")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// allowed decides from the socket peer and the token alone. A loopback peer
// is this machine unless the request carries any proxy or forwarding header
// at all, whatever its value: then a reverse proxy on this machine is
// passing on someone else's request. The token lets a scraper anywhere in.
func (m *Metrics) allowed(r *http.Request) bool {
	if m.token != "" {
		want := "Bearer " + m.token
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) == 1 {
			return true
		}
	}
	if proxied(r.Header) {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// proxied reports whether h has any header a proxy adds to say whom it
// forwards for: Forwarded, Via, X-Forwarded-*, X-Original-*, and every
// *-IP header (X-Real-IP, X-Client-IP, True-Client-IP, CF-Connecting-IP,
// Fastly-Client-IP…). Presence is enough: an empty value counts.
func proxied(h http.Header) bool {
	for k := range h {
		k = strings.ToLower(k)
		switch {
		case k == "forwarded", k == "via",
			strings.HasPrefix(k, "x-forwarded-"), strings.HasPrefix(k, "x-original-"),
			strings.HasSuffix(k, "-ip"), strings.HasSuffix(k, "-for"):
			return true
		}
	}
	return false
}

// errorLog sends promhttp's errors to slog.
type errorLog struct{}

func (errorLog) Println(v ...any) { slog.Error("metrics: " + fmt.Sprint(v...)) }
