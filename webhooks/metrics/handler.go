package metrics

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"

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

// allowed: a loopback peer is this machine, unless the request carries a
// proxy's forwarding header (a reverse proxy on this machine passing on a
// visitor's request); the token lets a scraper elsewhere in.
func (m *Metrics) allowed(r *http.Request) bool {
	if m.token != "" {
		want := "Bearer " + m.token
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) == 1 {
			return true
		}
	}
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// errorLog sends promhttp's errors to slog.
type errorLog struct{}

func (errorLog) Println(v ...any) { slog.Error("metrics: " + fmt.Sprint(v...)) }
