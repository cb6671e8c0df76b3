package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"nudges/bot"
)

// The hand decoders give what encoding/json gives, for rows our encoders
// write and for shapes they fall back on.
func TestDecodeSubscriptionMatchesJSON(t *testing.T) {
	at := time.Date(2026, 3, 30, 15, 4, 5, 123456789, time.UTC)
	rows := []string{
		`{"keyword":"YOGA","phone":"+15551230001","joined_at":"2026-03-30T15:04:05Z"}`,
		`{"keyword":"YOGA","phone":"+15551230001","joined_at":"2026-03-30T15:04:05Z","source":"import by admin +1555, file a \"b\".csv: café <x>"}`,
		` { "keyword" : "A&B" , "phone":"+1","joined_at":"2026-03-30T15:04:05+02:00", "notice_at":null, "extra":{"k":["}",1]}} `,
		`{"keyword":"YOGA","phone":"+1","joined_at":"bad"}`,
		`{"Keyword":"YOGA"}`,
		`{}`,
		`{"keyword":"YOGA"} x`,
	}
	for _, s := range []bot.Subscription{
		{Keyword: "YOGA", Phone: "+15551230001", JoinedAt: at, NoticeAt: at.Add(time.Hour), Source: "text \"JOIN\"\n, MessageSid SM1 ñ"},
		{Keyword: "Ü<>", Phone: "+15551230002", JoinedAt: at.In(time.FixedZone("x", -5*3600))},
		{Keyword: "YOGA", Phone: "+15551230003", JoinedAt: at, Source: "text", HeardFrom: "+15550100001"},
		{Keyword: "YOGA", Phone: "+15551230004", JoinedAt: at, Paid: "sub_1"},
		{Keyword: "YOGA", Phone: "+15551230005", JoinedAt: at, Paid: "sub_2", PaidUntil: at.AddDate(0, 1, 0), PaidEnds: at.Add(time.Hour)},
	} {
		data, _ := json.Marshal(s)
		rows = append(rows, string(data))
		enc := bulkEncoder{strings: map[string][]byte{}}
		if got := string(enc.subscription(s)); got != string(data) {
			t.Errorf("hand encoding %s, json %s", got, data)
		}
		var fast, want bot.Subscription
		json.Unmarshal(data, &want)
		if !fastSubscription(data, &fast) || !reflect.DeepEqual(fast, want) {
			t.Errorf("%s: fast path %+v, want %+v", data, fast, want)
		}
	}
	for _, row := range rows {
		var want, got bot.Subscription
		wantErr := json.Unmarshal([]byte(row), &want)
		gotErr := decodeSubscription([]byte(row), &got)
		if (wantErr == nil) != (gotErr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v (%v), json %+v (%v)", row, got, gotErr, want, wantErr)
		}
	}
}

func TestDecodeAudienceConvMatchesJSON(t *testing.T) {
	convs := []bot.Conversation{
		{Phone: "+1", Locale: "es", LocaleChosen: true, OptedOut: true, Simulated: true,
			Vars: map[string]string{"locale": "en", "opted_out": "\"}"}, Misses: []time.Time{time.Now()},
			Draft: &bot.Draft{}, ReplyAcks: map[string]time.Time{"YOGA": time.Now()}},
		{Phone: "+2", Flow: "join", State: "ask"},
		{Phone: "+3", Locale: "\u00e9s\\"},
	}
	withNumbers := bot.Conversation{Phone: "+4", OptedOut: true,
		NumberOptOuts: map[bot.Phone]bot.NumberOptOut{"+15550100001": {At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), List: "YOGA"}}}
	var rows []string
	for _, c := range convs {
		data, _ := json.Marshal(c)
		rows = append(rows, string(data))
		want := audienceConv{Locale: c.Locale, LocaleChosen: c.LocaleChosen, OptedOut: c.OptedOut, Simulated: c.Simulated}
		if got := (audienceConv{}); !fastAudienceConv(data, &got) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fast path %+v, want %+v", data, got, want)
		}
	}
	data, _ := json.Marshal(withNumbers) // the slow path keeps number opt-outs
	if got := (audienceConv{}); decodeAudienceConv(data, &got) != nil || !reflect.DeepEqual(got.NumberOptOuts, withNumbers.NumberOptOuts) || !got.OptedOut {
		t.Errorf("%s: decoded %+v", data, got)
	}
	rows = append(rows, `{"locale":"en","opted_out":1}`, `{"opted_out":true,"locale":null}`, `[1]`, `{"locale":"en"`)
	for _, row := range rows {
		var want, got audienceConv
		wantErr := json.Unmarshal([]byte(row), &want)
		gotErr := decodeAudienceConv([]byte(row), &got)
		if (wantErr == nil) != (gotErr == nil) || (wantErr == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s: got %+v (%v), json %+v (%v)", row, got, gotErr, want, wantErr)
		}
	}
}

func TestConsentEncodingMatchesJSON(t *testing.T) {
	at := time.Date(2026, 3, 30, 15, 4, 5, 120000000, time.UTC)
	for _, r := range []bot.ConsentRecord{
		{ID: 1, At: at, Phone: "+15551230001", Keyword: "YOGA", Kind: bot.ConsentImport, File: "a \"b\" <c>.csv", Admin: "+1555", Note: "web form ñ\n"},
		{ID: 2, At: at, Phone: "+15551230002", Kind: "join", Text: "JOIN", SID: "SM1", To: "+1"},
		{ID: 3, At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Phone: "+1", Kind: "x"},
		{ID: 4, At: at, Phone: "+15551230004", Keyword: "YOGA", Kind: bot.ConsentAPI, Key: "key_ab", Note: "form", Text: "Yes 🙂", Given: at.Add(-time.Hour)},
		{ID: 6, At: at, Phone: "+15551230006", Keyword: "YOGA", Kind: bot.ConsentImport, File: "list.csv", Client: "+15550001111", Note: "shop"},
		{ID: 5, At: at, Phone: "+1", Kind: "x", Given: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		want, wantErr := json.Marshal(&r)
		got, gotErr := (&bulkEncoder{}).consent(&r)
		if string(got) != string(want) || (wantErr == nil) != (gotErr == nil) {
			t.Errorf("hand %s (%v), json %s (%v)", got, gotErr, want, wantErr)
		}
	}
}
