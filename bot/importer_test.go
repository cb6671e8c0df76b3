package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

var importNow = time.Date(2026, 3, 30, 15, 0, 0, 0, time.UTC)

// importDB is a store with one client, YOGA.
func importDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Write(func(tx *store.Tx) error {
		return tx.PutClient(&bot.Client{Phone: "+15550009999", Name: "Sunrise Yoga", Keyword: "YOGA", Status: bot.ClientActive})
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func runImport(t *testing.T, db *store.DB, csv string) (bot.ImportResult, error) {
	t.Helper()
	req := bot.ImportRequest{Keyword: "YOGA", File: "list.csv", Admin: "+15550000001"}
	return bot.Import(context.Background(), db, bot.NewFixedClock(importNow), strings.NewReader(csv), req, nil)
}

// A phone that opted out of the client's own number is not imported back
// onto its list, though it still takes the service number's texts.
func TestImportSkipsPhonesOptedOutOfTheClientsNumber(t *testing.T) {
	db := importDB(t)
	own := bot.Phone("+15550100001")
	err := db.Write(func(tx *store.Tx) error {
		c, err := tx.Client("+15550009999")
		if err != nil {
			return err
		}
		c.Own = &bot.OwnNumber{Phone: own, Kind: bot.NumberLocal, State: bot.NumberReady}
		if err := tx.PutClient(c); err != nil {
			return err
		}
		return tx.PutConversation(&bot.Conversation{Phone: "+15550001001",
			NumberOptOuts: map[bot.Phone]bot.NumberOptOut{own: {At: importNow, List: "YOGA"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := runImport(t, db, "phone\n+15550001001\n+15550001002\n")
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 1 || res.OptedOut != 1 {
		t.Fatalf("added %d, opted out %d; want 1 and 1", res.Added, res.OptedOut)
	}
}

func TestImportCountsEveryKindOfRow(t *testing.T) {
	db := importDB(t)
	err := db.Write(func(tx *store.Tx) error {
		if err := tx.PutConversation(&bot.Conversation{Phone: "+15550001003", OptedOut: true}); err != nil {
			return err
		}
		return tx.Suppress("+15550001004") // erased earlier
	})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 2048)
	csv := "\ufeffPhone,Language,extra,joined_at,source\r\n" +
		"+1 555 000 1001,es,whatever,2025-12-24,paper form\r\n" +
		"(555) 000-1002,,,,\r\n" +
		"\r\n" +
		"+15550001003,en,,,\r\n" + // opted out
		"+15550001004,en,,,\r\n" + // erased
		"not a phone,en,,,\r\n" +
		"\"+1 555 000 1005\",\"en\",\"a, quoted \"\"cell\"\"\",,\"web, 2024\"\r\n" +
		"+15550001001,es,,,\r\n" + // duplicate row
		"+15550001006,en,,yesterday,\r\n" +
		long + ",en,,,\r\n" +
		"+15550001007,en,,," + long + "\r\n" +
		",en,,,\r\n" +
		"+15550001008\r\n" + // fewer columns
		"+15550001009,en,a,,c,d,e\r\n" // more columns
	res, err := runImport(t, db, csv)
	if err != nil {
		t.Fatal(err)
	}
	want := bot.ImportResult{Rows: 13, Added: 6, Already: 1, OptedOut: 2, Invalid: 4}
	if res.Rows != want.Rows || res.Added != want.Added || res.Already != want.Already || res.OptedOut != want.OptedOut || res.Invalid != want.Invalid {
		t.Errorf("counts %+v, want %+v", res, want)
	}
	var lines []int
	for _, b := range res.Bad {
		lines = append(lines, b.Line)
	}
	if fmt.Sprint(lines) != "[7 10 11 13]" {
		t.Errorf("bad rows %+v", res.Bad)
	}
	checkImported(t, db, res)
}

func checkImported(t *testing.T, db *store.DB, res bot.ImportResult) {
	t.Helper()
	err := db.Read(func(tx *store.Tx) error {
		subs, err := tx.SubscriptionsOf("+15550001001")
		if err != nil || len(subs) != 1 {
			t.Fatalf("+15550001001 lists %v %v", subs, err)
		}
		s := subs[0]
		if !s.JoinedAt.Equal(time.Date(2025, 12, 24, 0, 0, 0, 0, time.UTC)) || !strings.Contains(s.Source, "import by admin +15550000001, file list.csv: paper form") {
			t.Errorf("subscription %+v", s)
		}
		conv, _ := tx.Conversation("+15550001001")
		if conv.Locale != bot.Spanish || !conv.FirstSeen.IsZero() {
			t.Errorf("imported conversation %+v", conv)
		}
		for _, p := range []bot.Phone{"+15550001003", "+15550001004"} {
			if subs, _ := tx.SubscriptionsOf(p); len(subs) != 0 {
				t.Errorf("opted-out %s imported", p)
			}
		}
		if subs, _ := tx.SubscriptionsOf("+15550001007"); len(subs) != 1 || len(subs[0].Source) > 300 {
			t.Errorf("a 2 KB source is kept whole or the row lost: %v", subs)
		}
		if subs, _ := tx.SubscriptionsOf("+15550001005"); len(subs) != 1 || !strings.HasSuffix(subs[0].Source, "web, 2024") {
			t.Errorf("quoted row: %v", subs)
		}
		c, _ := tx.ClientByKeyword("YOGA")
		c, _ = tx.Client(c.Phone) // by phone: with its list's size
		if c.Subscribers != res.Added {
			t.Errorf("client counts %d subscribers, import added %d", c.Subscribers, res.Added)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	db.EachConsent("YOGA", 100, func(r bot.ConsentRecord) error {
		n++
		if r.Kind != bot.ConsentImport || r.Admin != "+15550000001" || r.File != "list.csv" {
			t.Errorf("consent record %+v", r)
		}
		return nil
	})
	if n != res.Added {
		t.Errorf("%d consent records for %d added", n, res.Added)
	}
}

func TestImportRefusesFilesItCannotRead(t *testing.T) {
	for name, csv := range map[string]string{
		"empty":         "",
		"no phone":      "number,language\n+15550001001,en\n",
		"one long line": "phone\n" + strings.Repeat("1", bot.MaxImportLine+10),
		"unknown list":  "",
	} {
		t.Run(name, func(t *testing.T) {
			db := importDB(t)
			req := bot.ImportRequest{Keyword: "YOGA", File: "f.csv", Admin: "+15550000001"}
			if name == "unknown list" {
				req.Keyword = "NOPE"
				csv = "phone\n+15550001001\n"
			}
			res, err := bot.Import(context.Background(), db, bot.NewFixedClock(importNow), strings.NewReader(csv), req, nil)
			if err == nil || bot.ErrorCode(err) == bot.EINTERNAL || res.Added != 0 {
				t.Errorf("err %v, res %+v", err, res)
			}
		})
	}
}

func TestImportBadQuotesAreRowsNotTheEnd(t *testing.T) {
	db := importDB(t)
	csv := "phone,source\n+15550001001,a\"b\n+15550001002,ok\n\"+15550001003\"x,y\n+15550001004,ok\n"
	res, err := runImport(t, db, csv)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.Invalid != 2 || len(res.Bad) != 2 || res.Bad[0].Line != 2 || res.Bad[1].Line != 4 {
		t.Errorf("result %+v", res)
	}
}

func TestImportTwiceAddsNothingAndListsAtMostTheCap(t *testing.T) {
	db := importDB(t)
	var b strings.Builder
	b.WriteString("phone\n")
	rows := bot.ImportChunk + 1000 // two chunks: progress is reported twice
	for i := range rows {
		fmt.Fprintf(&b, "+1555%07d\n", i)
	}
	for range bot.ImportBadLines + 50 {
		b.WriteString("bad\n")
	}
	var progress []int
	req := bot.ImportRequest{Keyword: "YOGA", File: "big.csv", Admin: "+15550000001"}
	res, err := bot.Import(context.Background(), db, bot.NewFixedClock(importNow), strings.NewReader(b.String()), req,
		func(r bot.ImportResult) { progress = append(progress, r.Rows) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != rows || res.Invalid != bot.ImportBadLines+50 || len(res.Bad) != bot.ImportBadLines || len(progress) < 2 {
		t.Errorf("first import %+v (bad listed %d), progress %v", res, len(res.Bad), progress)
	}
	again, err := runImport(t, db, b.String())
	if err != nil || again.Added != 0 || again.Already != rows {
		t.Errorf("second import %+v %v", again, err)
	}
}

// TestImportReadsGuardedExports: a list exported by the service (phones and
// formula-like text guarded with a leading quote) imports as it was.
func TestImportReadsGuardedExports(t *testing.T) {
	db := importDB(t)
	csv := "phone,language,joined_at,source\r\n" +
		bot.CSVCell("+15550001001") + ",es,2025-12-24," + bot.CSVCell("-paper form") + "\r\n"
	res, err := runImport(t, db, csv)
	if err != nil || res.Added != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	db.Read(func(tx *store.Tx) error {
		subs, err := tx.SubscriptionsOf("+15550001001")
		if err != nil || len(subs) != 1 || !strings.HasSuffix(subs[0].Source, ": -paper form") {
			t.Errorf("guarded row read as %v %v", subs, err)
		}
		return nil
	})
}
