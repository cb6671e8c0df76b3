package e2e

import (
	"fmt"
	"strings"
	"testing"

	"nudges/bot"
	"nudges/store"
	"nudges/webhooks/twilio/twiliotest"
)

// What the kill scenarios (crash, schedule, random kills, cluster) look
// for at the fake Twilio and in the outbox once the server is down.

const (
	announcementPrefix = ClientName + ": "
	reportText         = "Your announcement was sent to"
	classText          = "Class is on at 7 tonight, bring a mat!"
)

// bodiesSeen counts the requests at the fake whose Body starts with prefix.
func bodiesSeen(tw *twiliotest.Server, prefix string) int {
	n := 0
	for _, r := range tw.Requests() {
		if strings.HasPrefix(r.Form.Get("Body"), prefix) {
			n++
		}
	}
	return n
}

func announcementsSeen(tw *twiliotest.Server) int { return bodiesSeen(tw, announcementPrefix) }

func reportsSeen(tw *twiliotest.Server) int {
	n := 0
	for _, r := range tw.Requests() {
		if r.Form.Get("To") == Client && strings.Contains(r.Form.Get("Body"), reportText) {
			n++
		}
	}
	return n
}

// checkKilledBroadcast: nobody got the announcement twice, everyone not
// marked unknown got it once, the client got one report. It returns how
// many are unknown.
func checkKilledBroadcast(t *testing.T, tw *twiliotest.Server, dbPath string, subs []bot.Phone) int {
	t.Helper()
	got := map[string]int{}
	for _, r := range tw.Requests() {
		if strings.HasPrefix(r.Form.Get("Body"), announcementPrefix) {
			got[r.Form.Get("To")]++
		}
	}
	status := outboxStatus(t, dbPath)
	unknown := 0
	for _, p := range subs {
		n, st := got[string(p)], status[p]
		switch {
		case n > 1:
			t.Errorf("%s got the announcement %d times", p, n)
		case st == bot.StatusUnknown:
			unknown++
		case n != 1:
			t.Errorf("%s: outbox says %q but it got the announcement %d times", p, st, n)
		}
	}
	switch reports, rows := reportsSeen(tw), reportRows(t, dbPath); {
	case len(rows) != 1:
		t.Errorf("%d report messages queued, want 1 (statuses %v)", len(rows), rows)
	case reports > 1:
		t.Errorf("the client got %d reports, want 1", reports)
	case reports == 0 && rows[0] != bot.StatusUnknown:
		t.Errorf("the client got no report and its outbox row is %q; only an unknown (in flight at a kill) report may be missing", rows[0])
	case reports == 0:
		t.Logf("the report was in flight at a kill: unknown, not resent")
	}
	return unknown
}

// eachOut calls fn for every outbox row of the bbolt file at path.
func eachOut(t *testing.T, path string, fn func(m *bot.OutMessage)) {
	t.Helper()
	Read(t, path, func(tx *store.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutMessage(id)
			if err != nil || m == nil {
				return err
			}
			fn(m)
		}
	})
}

// outboxStatus is each phone's announcement status.
func outboxStatus(t *testing.T, path string) map[bot.Phone]bot.MessageStatus {
	t.Helper()
	out := map[bot.Phone]bot.MessageStatus{}
	eachOut(t, path, func(m *bot.OutMessage) {
		if m.Kind == bot.KindAnnouncement {
			out[m.To] = m.Status
		}
	})
	return out
}

// reportRows is the statuses of the report messages queued for the client.
func reportRows(t *testing.T, path string) []bot.MessageStatus {
	t.Helper()
	var out []bot.MessageStatus
	eachOut(t, path, func(m *bot.OutMessage) {
		if m.Kind == bot.KindReport && m.To == Client {
			out = append(out, m.Status)
		}
	})
	return out
}

// confirm drafts classText as the client and confirms it; the answer must
// say it goes to n.
func confirm(t *testing.T, s *Server, n int) {
	t.Helper()
	s.SMS(t, Client, classText)
	if reply := s.SMS(t, Client, "CONFIRM"); !strings.Contains(reply, fmt.Sprintf("to %d ", n)) {
		t.Fatalf("CONFIRM answered %q", reply)
	}
}
