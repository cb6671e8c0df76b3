package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store/kv"
)

var consentT0 = time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)

func appendConsents(t *testing.T, db *DB, rs ...bot.ConsentRecord) {
	t.Helper()
	err := db.Write(func(tx *Tx) error {
		for i := range rs {
			if err := tx.AppendConsent(&rs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestConsentLedgerPagesByListAndInChunks(t *testing.T) {
	db := openTest(t)
	var rs []bot.ConsentRecord
	for i := range 25 {
		kw := []string{"YOGA", "BREAD", ""}[i%3]
		rs = append(rs, bot.ConsentRecord{At: consentT0.Add(time.Duration(i) * time.Minute),
			Phone: bot.Phone(fmt.Sprintf("+1555000%04d", i)), Keyword: kw, Kind: bot.ConsentJoin, SID: fmt.Sprintf("SM%d", i)})
	}
	appendConsents(t, db, rs...)
	var all, yoga []string
	if err := db.EachConsent("", 4, func(r bot.ConsentRecord) error { all = append(all, r.SID); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.EachConsent("YOGA", 3, func(r bot.ConsentRecord) error {
		if r.Keyword != "YOGA" {
			t.Errorf("YOGA export has %+v", r)
		}
		yoga = append(yoga, r.SID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(all) != 25 || all[0] != "SM0" || all[24] != "SM24" {
		t.Errorf("all records in order: %v", all)
	}
	if len(yoga) != 9 || yoga[1] != "SM3" {
		t.Errorf("YOGA records: %v", yoga)
	}
	// A record appended between two chunks is read once, in its place.
	n := 0
	err := db.EachConsent("", 10, func(r bot.ConsentRecord) error {
		if n++; n == 5 {
			appendConsents(t, db, bot.ConsentRecord{Phone: "+15559999999", Kind: bot.ConsentLeave, SID: "late"})
		}
		return nil
	})
	if err != nil || n != 26 {
		t.Errorf("read %d records with one appended mid-export (%v)", n, err)
	}
}

func TestEraseKeepsTheLedgerWithoutTheNumber(t *testing.T) {
	db := openTest(t)
	p, other := bot.Phone("+15550001111"), bot.Phone("+15550002222")
	err := db.Write(func(tx *Tx) error {
		if err := tx.PutClient(&bot.Client{Phone: "+15550009999", Keyword: "YOGA", Name: "Yoga", Status: bot.ClientActive}); err != nil {
			return err
		}
		for _, ph := range []bot.Phone{p, other} {
			if _, err := tx.Subscribe("YOGA", ph, consentT0); err != nil {
				return err
			}
			if err := tx.PutConversation(&bot.Conversation{Phone: ph, FirstSeen: consentT0}); err != nil {
				return err
			}
			if err := tx.AppendLog(bot.LogEntry{Phone: ph, At: consentT0, Dir: bot.DirIn, Body: "YOGA", SID: "SMx", To: "+15550000000"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	appendConsents(t, db, bot.ConsentRecord{Phone: p, Keyword: "YOGA", Kind: bot.ConsentJoin},
		bot.ConsentRecord{Phone: other, Keyword: "YOGA", Kind: bot.ConsentJoin},
		bot.ConsentRecord{Phone: p, Keyword: "YOGA", Kind: bot.ConsentLeave})
	if ok, err := db.Erase(p); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ok, err := db.Erase("+15550009999"); err != nil || ok {
		t.Errorf("a client's phone was erased: %v %v", ok, err)
	}
	err = db.Read(func(tx *Tx) error {
		conv, _ := tx.Conversation(p)
		logs, _ := tx.LogOf(p, 10)
		subs, _ := tx.SubscriptionsOf(p)
		if !conv.FirstSeen.IsZero() || len(logs) != 0 || len(subs) != 0 {
			t.Errorf("left behind: %+v %v %v", conv, logs, subs)
		}
		if s, _ := tx.Suppressed(p); !s {
			t.Error("erased phone not suppressed")
		}
		if s, _ := tx.Suppressed(other); s {
			t.Error("another phone suppressed")
		}
		if logs, _ := tx.LogOf(other, 10); len(logs) != 1 || logs[0].SID != "SMx" || logs[0].To != "+15550000000" {
			t.Errorf("the other phone's log: %+v", logs)
		}
		if c, _ := tx.Client("+15550009999"); c.Subscribers != 1 {
			t.Errorf("client count %d after erase", c.Subscribers)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var phones []string
	db.EachConsent("", 10, func(r bot.ConsentRecord) error { phones = append(phones, string(r.Phone)); return nil })
	if len(phones) != 3 || phones[1] != string(other) || !strings.HasPrefix(phones[0], "erased:") || phones[0] != phones[2] {
		t.Errorf("ledger after erase: %v", phones)
	}
	raw := dumpFile(t, db)
	if strings.Contains(raw, string(p)) {
		t.Error("the erased number is still somewhere in the database file's live data")
	}
}

// dumpFile is every live key and value of the database, as text.
func dumpFile(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	err := db.kv.View(func(tx kv.Tx) error {
		return tx.ForEachBucket(func(name []byte) error {
			return tx.Bucket(name).ForEach(func(k, v []byte) error {
				fmt.Fprintf(&b, "%s %s %s\n", name, k, v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestExportLinkWorksOnceAndExpires(t *testing.T) {
	db := openTest(t)
	err := db.Write(func(tx *Tx) error {
		for _, tok := range []string{"once", "late"} {
			e := &bot.Export{Token: tok, Keyword: "YOGA", Client: "+15550009999", CreatedAt: consentT0, ExpiresAt: consentT0.Add(bot.ExportTTL)}
			if err := tx.PutExport(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	take := func(tok string, at time.Time) *bot.Export {
		var e *bot.Export
		if err := db.Write(func(tx *Tx) error { var err error; e, err = tx.TakeExport(tok, at); return err }); err != nil {
			t.Fatal(err)
		}
		return e
	}
	if e := take("once", consentT0.Add(time.Hour)); e == nil || e.Keyword != "YOGA" {
		t.Fatalf("first take: %+v", e)
	}
	if e := take("once", consentT0.Add(2*time.Hour)); e != nil {
		t.Error("a used link worked again")
	}
	if e := take("late", consentT0.Add(bot.ExportTTL)); e != nil {
		t.Error("an expired link worked")
	}
	if e := take("nope", consentT0); e != nil {
		t.Error("an unknown token worked")
	}
	if strings.Contains(dumpFile(t, db), "once") {
		t.Error("the token is stored in clear")
	}
}

func TestPhonePageFiltersByListAndPages(t *testing.T) {
	db := openTest(t)
	err := db.Write(func(tx *Tx) error {
		if err := tx.PutClient(&bot.Client{Phone: "+15550009999", Keyword: "YOGA", Name: "Yoga", Status: bot.ClientActive}); err != nil {
			return err
		}
		for i := range 120 {
			p := bot.Phone(fmt.Sprintf("+1555100%04d", i))
			if err := tx.PutConversation(&bot.Conversation{Phone: p}); err != nil {
				return err
			}
			if i%2 == 0 {
				if _, err := tx.Subscribe("YOGA", p, consentT0); err != nil {
					return err
				}
			}
		}
		_, err := tx.Subscribe("YOGA", "+15551000999", consentT0) // imported: no conversation
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Read(func(tx *Tx) error {
		rows, total, err := tx.PhonePage(PhoneQuery{Offset: 100, Limit: 50})
		if err != nil || total != 121 || len(rows) != 21 || rows[0].Phone != "+15551000100" || rows[20].Phone != "+15551000999" {
			t.Errorf("last page of all: %d rows of %d, %v", len(rows), total, err)
		}
		rows, total, _ = tx.PhonePage(PhoneQuery{Keyword: "YOGA", Offset: 50, Limit: 50})
		if total != 61 || len(rows) != 11 || rows[0].Phone != "+15551000100" || len(rows[0].Lists) != 1 {
			t.Errorf("second page of YOGA: %d rows of %d: %+v", len(rows), total, rows)
		}
		rows, total, _ = tx.PhonePage(PhoneQuery{Keyword: "YOGA", Prefix: "+155510001", Limit: 50})
		if total != 10 || len(rows) != 10 {
			t.Errorf("YOGA starting +155510001: %d of %d", len(rows), total)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
