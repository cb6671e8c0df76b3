package bot_test

import (
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// A phone added through the API lands on the list as an import row does,
// with a consent record naming the key, the source, time and text; a
// second add is "already"; an opted-out phone is refused with ECONFLICT;
// a remove leaves a leave record.
func TestAddSubscriberGoesThroughTheImportPath(t *testing.T) {
	db := importDB(t)
	given := importNow.Add(-time.Hour)
	c := bot.Consent{Source: "signup form", At: given, Text: "Yes, text me"}
	added, err := bot.AddSubscriber(db, importNow, "YOGA", "+15550001001", c, "key_1", "")
	if err != nil || !added {
		t.Fatalf("add: %v, %v", added, err)
	}
	if added, err := bot.AddSubscriber(db, importNow, "YOGA", "+15550001001", c, "key_1", ""); err != nil || added {
		t.Errorf("second add: %v, %v", added, err)
	}
	err = db.Write(func(tx *store.Tx) error {
		return tx.PutConversation(&bot.Conversation{Phone: "+15550001002", OptedOut: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bot.AddSubscriber(db, importNow, "YOGA", "+15550001002", c, "key_1", ""); bot.ErrorCode(err) != bot.ECONFLICT {
		t.Errorf("opted-out phone: %v", err)
	}
	if _, err := bot.AddSubscriber(db, importNow, "NOPE", "+15550001003", c, "key_1", ""); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("no such list: %v", err)
	}
	for _, bad := range []bot.Consent{{At: given}, {Source: "x"}, {Source: "x", At: importNow.Add(time.Hour)}} {
		if _, err := bot.AddSubscriber(db, importNow, "YOGA", "+15550001004", bad, "key_1", ""); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("consent %+v: %v", bad, err)
		}
	}
	if err := bot.RemoveSubscriber(db, importNow, "YOGA", "+15550001001", "key_1"); err != nil {
		t.Fatal(err)
	}
	if err := bot.RemoveSubscriber(db, importNow, "YOGA", "+15550001001", "key_1"); bot.ErrorCode(err) != bot.ENOTFOUND {
		t.Errorf("second remove: %v", err)
	}
	var recs []bot.ConsentRecord
	db.EachConsent("YOGA", 10, func(r bot.ConsentRecord) error { recs = append(recs, r); return nil })
	if len(recs) != 2 || recs[0].Kind != bot.ConsentAPI || recs[0].Key != "key_1" || !recs[0].Given.Equal(given) ||
		recs[0].Note != "signup form" || recs[0].Text != "Yes, text me" || recs[1].Kind != bot.ConsentLeave {
		t.Errorf("consent records %+v", recs)
	}
}
