package main

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// baseline is a minimal net/http server on 127.0.0.1: it parses the form
// and answers a fixed TwiML reply. No signature check, no storage: the floor
// of what any Go webhook on this machine costs.
type baseline struct {
	URL string
	srv *http.Server
}

const baselineReply = `<?xml version="1.0" encoding="UTF-8"?><Response><Message>You joined Sunrise Yoga.</Message></Response>`

func startBaseline() (*baseline, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("baseline listen: %w", err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("MessageSid") == "" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
		fmt.Fprint(w, baselineReply)
	})
	b := &baseline{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}
	go b.srv.Serve(ln)
	return b, nil
}

// Close stops the server.
func (b *baseline) Close() error { return b.srv.Close() }
