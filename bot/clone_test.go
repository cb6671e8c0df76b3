package bot

import (
	"reflect"
	"testing"
	"time"
)

// Every field of Client that holds a pointer, slice or map (at any depth)
// is one Clone copies, and what they point to holds none: a field added
// later that Clone would share between copies fails here. And a copy's
// changes leave the original alone.
func TestClientCloneIsDeep(t *testing.T) {
	copied := map[string]bool{"Own": true, "Own[].History": true, "Payouts.Joins": true}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		if typ == reflect.TypeOf(time.Time{}) {
			return // a value: its location pointer is never written through
		}
		switch typ.Kind() {
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				p := f.Name
				if path != "" {
					p = path + "." + f.Name
				}
				walk(f.Type, p)
			}
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.Array:
			if typ.Kind() == reflect.Array {
				walk(typ.Elem(), path)
				return
			}
			if !copied[path] {
				t.Errorf("Client.%s is a %s that Clone does not copy", path, typ.Kind())
				return
			}
			if typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
				walk(typ.Elem(), path+"[]")
			}
		}
	}
	walk(reflect.TypeOf(Client{}), "")

	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	c := &Client{Phone: "+15550001111", Name: "Yoga", Own: &OwnNumber{State: NumberState("ready"), Since: at,
		History: []NumberEvent{{At: at, Text: "ready"}}},
		Payouts: Payouts{Account: "acct_1", Joins: []PaidJoin{{Secret: "s1", Phone: "+15550002222", Expires: at}}}}
	d := c.Clone()
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("clone differs: %+v", d)
	}
	d.Name, d.Own.State, d.Payouts.Joins[0].Secret = "Other", NumberState("released"), "s2"
	d.Own.History[0].Text = "released"
	d.Payouts.Joins = append(d.Payouts.Joins, PaidJoin{Secret: "s3"})
	if c.Name != "Yoga" || c.Own.State != "ready" || c.Own.History[0].Text != "ready" ||
		c.Payouts.Joins[0].Secret != "s1" || len(c.Payouts.Joins) != 1 {
		t.Fatalf("changing the clone changed the original: %+v own %+v joins %+v", c, c.Own, c.Payouts.Joins)
	}
}
