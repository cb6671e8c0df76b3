package bot

import "testing"

func TestPhoneSearchReadsAnyWayANumberIsWritten(t *testing.T) {
	for _, c := range []struct{ q, prefix, alt string }{
		{"+1 (555) 12", "155512", ""},
		{"555 222 0001", "15552220001", ""}, // a whole number without its +1
		{"555", "555", "1555"},
		{"0044 20", "004420", ""},
		{"1555", "1555", ""},
		{"+44 20", "4420", ""},
	} {
		prefix, alt, ok := PhoneSearch(c.q)
		if !ok || prefix != c.prefix || alt != c.alt {
			t.Errorf("PhoneSearch(%q) = %q %q %v, want %q %q", c.q, prefix, alt, ok, c.prefix, c.alt)
		}
	}
	if _, _, ok := PhoneSearch("bob"); ok {
		t.Error("a search without digits is read as a phone")
	}
}

func TestSourceKindNamesTheWayInWithoutItsNumbers(t *testing.T) {
	rec := func(r ConsentRecord) string { return r.Source() }
	for _, c := range []struct{ source, want string }{
		{rec(ConsentRecord{Text: "yoga", SID: "SM1", To: "+15550000000"}), "keyword YOGA"},
		{rec(ConsentRecord{Text: "JOIN YOGA", SID: "SM1", To: "+15550000000"}), "join page"},
		{rec(ConsentRecord{Admin: "+15550009999", File: "list.csv", Note: "website"}), "import (list.csv)"},
		{rec(ConsentRecord{Admin: "+15550009999"}), "import"},
		{rec(ConsentRecord{Key: "key_1", Note: "shop"}), "API"},
		{"", ""},
		{"something else", "other"},
	} {
		if got := SourceKind(c.source); got != c.want {
			t.Errorf("SourceKind(%q) = %q, want %q", c.source, got, c.want)
		}
	}
}
