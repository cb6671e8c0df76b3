package etcdkv

import (
	"errors"
	"fmt"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
)

func TestEscape(t *testing.T) {
	for _, name := range []string{"outbox", "a/b", ".buckets", "%2F", "\x00\xff", "with space"} {
		esc := escape([]byte(name))
		for _, c := range []byte(esc) {
			if c == '/' || c == '.' {
				t.Errorf("escape(%q) = %q holds %q", name, esc, c)
			}
		}
		back, err := unescape(esc)
		if err != nil || string(back) != name {
			t.Errorf("unescape(%q) = %q, %v; want %q", esc, back, err, name)
		}
	}
	if _, err := unescape("ab%4"); err == nil {
		t.Error("a truncated escape was accepted")
	}
}

func TestEnd(t *testing.T) {
	for in, want := range map[string]string{"/n/v1/b/": "/n/v1/b0", "a\xff": "b", "\xff\xff": "\x00"} {
		if got := end(in); got != want {
			t.Errorf("end(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsFutureRev(t *testing.T) {
	if !isFutureRev(fmt.Errorf("read: %w", rpctypes.ErrFutureRev)) {
		t.Error("rpctypes.ErrFutureRev not recognised")
	}
	if !isFutureRev(errors.New("rpc error: code = OutOfRange desc = etcdserver: mvcc: required revision is a future revision")) {
		t.Error("the gRPC status text not recognised")
	}
	if isFutureRev(rpctypes.ErrCompacted) || isFutureRev(nil) {
		t.Error("other errors taken for a future revision")
	}
}

func TestMergeSpans(t *testing.T) {
	got := mergeSpans([]span{{"c", "e"}, {"a", "b"}, {"b", "c"}, {"x", "z"}, {"d", "f"}})
	want := []span{{"a", "f"}, {"x", "z"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("mergeSpans = %v, want %v", got, want)
	}
}
