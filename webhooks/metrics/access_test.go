package metrics

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"nudges/bot"
)

type okSource struct{}

func (okSource) Gauges(time.Time) (bot.Gauges, error) { return bot.Gauges{}, nil }

// TestAccessIgnoresForwardingHeaders: the decision rests on the socket peer
// and the token alone. Any proxy or forwarding header, whatever its value
// (empty, blank, loopback, repeated), means no answer without the token.
func TestAccessIgnoresForwardingHeaders(t *testing.T) {
	open := New(okSource{}, "", "v-test")
	tok := New(okSource{}, "s3cret", "v-test")
	cases := []struct {
		name   string
		m      *Metrics
		remote string
		header map[string][]string
		want   int
	}{
		{"loopback, no header", open, "127.0.0.1:5000", nil, http.StatusOK},
		{"ipv6 loopback", open, "[::1]:5000", nil, http.StatusOK},
		{"remote, no token configured", open, "192.0.2.7:5000", nil, http.StatusForbidden},
		{"remote, token not sent", tok, "192.0.2.7:5000", nil, http.StatusForbidden},
		{"remote with token", tok, "192.0.2.7:5000", map[string][]string{"Authorization": {"Bearer s3cret"}}, http.StatusOK},
		{"proxied with token", tok, "127.0.0.1:5000", map[string][]string{"Authorization": {"Bearer s3cret"}, "X-Forwarded-For": {"192.0.2.7"}}, http.StatusOK},
		{"proxied with a wrong token", tok, "127.0.0.1:5000", map[string][]string{"Authorization": {"Bearer nope"}, "X-Forwarded-For": {"192.0.2.7"}}, http.StatusForbidden},
		{"remote peer claiming loopback", open, "192.0.2.7:5000", map[string][]string{"X-Forwarded-For": {"127.0.0.1"}}, http.StatusForbidden},
	}
	for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port",
		"X-Forwarded-Server", "Forwarded", "X-Real-Ip", "X-Client-Ip", "True-Client-Ip", "Cf-Connecting-Ip",
		"Fastly-Client-Ip", "X-Cluster-Client-Ip", "X-Original-Forwarded-For", "Via"} {
		for _, v := range [][]string{{"192.0.2.7"}, {""}, {"   "}, {"127.0.0.1"}, {"", "192.0.2.7"}} {
			cases = append(cases, struct {
				name   string
				m      *Metrics
				remote string
				header map[string][]string
				want   int
			}{"loopback with " + h + "=" + strings.Join(v, "|"), open, "127.0.0.1:5000", map[string][]string{h: v}, http.StatusForbidden})
		}
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, Path, nil)
		r.RemoteAddr = c.remote
		for k, vs := range c.header {
			r.Header[k] = vs
		}
		w := httptest.NewRecorder()
		c.m.Handler().ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("%s: %d, want %d", c.name, w.Code, c.want)
		}
	}
}

// TestAccessOverTheWire sends raw requests, so that empty header lines and
// repeated lines reach the handler as a real proxy would send them.
func TestAccessOverTheWire(t *testing.T) {
	srv := httptest.NewServer(New(okSource{}, "", "v-test").Handler())
	defer srv.Close()
	for _, extra := range []string{
		"", "X-Forwarded-For:\r\n", "X-Forwarded-For:   \r\n", "X-Forwarded-For: \r\nX-Forwarded-For: 192.0.2.7\r\n",
		"X-Forwarded-Host: example.com\r\n", "x-forwarded-proto: https\r\n", "Forwarded:\r\n", "CF-Connecting-IP:\r\n",
	} {
		want := http.StatusForbidden
		if extra == "" {
			want = http.StatusOK
		}
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Write([]byte("GET " + Path + " HTTP/1.1\r\nHost: x\r\n" + extra + "Connection: close\r\n\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != want {
			t.Errorf("%q: %d, want %d", extra, resp.StatusCode, want)
		}
	}
}
