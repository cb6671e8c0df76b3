package kvopen

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"nudges/store/kv"
	"nudges/store/kv/etcdkv"
)

func TestParse(t *testing.T) {
	cluster := "n1=https://10.0.0.1:2380,n2=https://10.0.0.2:2380,n3=https://10.0.0.3:2380"
	tests := []struct {
		in   string
		want Config
	}{
		{"bolt:///var/lib/nudges/n.db", Config{Kind: Bolt, Path: "/var/lib/nudges/n.db"}},
		{"bolt://data/n.db", Config{Kind: Bolt, Path: "data/n.db"}},
		{"etcd://h1:2379,h2:2379,h3:2379", Config{Kind: Etcd, Endpoints: []string{"h1:2379", "h2:2379", "h3:2379"},
			Prefix: etcdkv.DefaultPrefix, MaxTxnOps: 128}},
		{"etcd://h1:2379?cert=/c.pem&key=/k.pem&ca=/ca.pem&prefix=/shop/&max-txn-ops=1024",
			Config{Kind: Etcd, Endpoints: []string{"h1:2379"}, TLS: TLSFiles{"/c.pem", "/k.pem", "/ca.pem"},
				Prefix: "/shop/", MaxTxnOps: 1024}},
		{"etcd+embed:///data/etcd?name=n1&certs=/etc/c&peer=https://10.0.0.1:2380&client=https://10.0.0.1:2379&cluster=" + cluster +
			"&state=existing&retention=1h",
			Config{Kind: EtcdEmbed, Prefix: etcdkv.DefaultPrefix, MaxTxnOps: 4096, Member: etcdkv.MemberConfig{
				Dir: "/data/etcd", Name: "n1", PeerURL: "https://10.0.0.1:2380", ClientURL: "https://10.0.0.1:2379",
				Certs: "/etc/c", Cluster: cluster, State: "existing", MaxTxnOps: 4096, Retention: time.Hour}}},
		{"etcd+embed:///d?name=solo&peer=http://127.0.0.1:2380",
			Config{Kind: EtcdEmbed, Prefix: etcdkv.DefaultPrefix, MaxTxnOps: 4096, Member: etcdkv.MemberConfig{
				Dir: "/d", Name: "solo", PeerURL: "http://127.0.0.1:2380",
				Cluster: "solo=http://127.0.0.1:2380", State: "new", MaxTxnOps: 4096}}},
		{"etcd+embed:///d?name=a&peer=http://localhost:2380&cluster=a=http://localhost:2380,b=http://[::1]:2381",
			Config{Kind: EtcdEmbed, Prefix: etcdkv.DefaultPrefix, MaxTxnOps: 4096, Member: etcdkv.MemberConfig{
				Dir: "/d", Name: "a", PeerURL: "http://localhost:2380",
				Cluster: "a=http://localhost:2380,b=http://[::1]:2381", State: "new", MaxTxnOps: 4096}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

// TestParseErrors: each mistake is one line naming it.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want []string // one line each
	}{
		{"/var/lib/n.db", []string{"want bolt:///path"}},
		{"mysql://x", []string{`unknown scheme "mysql"`}},
		{"bolt://", []string{"needs a file"}},
		{"bolt:///n.db?sync=off", []string{`unknown option "sync"`}},
		{"etcd://h1,h2:2379?cert=/c.pem&max-txn-ops=lots", []string{`endpoint "h1"`, "cert and key go together", `max-txn-ops="lots"`}},
		{"etcd://h1:2379?prefix=nudges", []string{"must start and end with /"}},
		{"etcd+embed://?peer=10.0.0.1:2380&state=maybe&retention=soon", []string{"needs a data directory", "needs name=",
			`peer="10.0.0.1:2380"`, `state="maybe"`, `retention="soon"`}},
		{"etcd+embed:///d?name=n1&certs=/c&peer=https://10.0.0.1:2380&cluster=n2=https://10.0.0.2:2380,bad", []string{
			`cluster entry "bad"`, "does not list this member (n1)"}},
		{"etcd+embed:///d?name=n1&certs=/c&peer=https://10.0.0.1:2380&cluster=n1=https://10.0.0.9:2380", []string{
			"cluster says n1 is at https://10.0.0.9:2380 but peer=https://10.0.0.1:2380"}},
		// the plain client port anyone on the machine could read, and
		// plain replication between machines, are refused
		{"etcd+embed:///d?name=n1&peer=http://127.0.0.1:2380&client=http://127.0.0.1:2379", []string{
			`client="http://127.0.0.1:2379": a client port needs certs=DIR`}},
		{"etcd+embed:///d?name=n1&peer=http://10.0.0.1:2380", []string{"mutual TLS: add certs=DIR"}},
		{"etcd+embed:///d?name=n1&peer=http://127.0.0.1:2380&cluster=n1=http://127.0.0.1:2380,n2=http://10.0.0.2:2380",
			[]string{`cluster entry n2="http://10.0.0.2:2380": members on other machines`}},
		{"etcd+embed:///d?name=n1&peer=https://127.0.0.1:2380", []string{"https needs certs=DIR"}},
		{"etcd+embed:///d?name=n1&certs=/c&peer=http://127.0.0.1:2380&client=http://127.0.0.1:2379&cluster=n1=http://127.0.0.1:2380,n2=https://10.0.0.2:2380",
			[]string{`peer="http://127.0.0.1:2380": with certs= it must be https://`, `client="http://127.0.0.1:2379": with certs=`}},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) accepted", tt.in)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(tt.want) {
			t.Errorf("Parse(%q): %d lines, want %d:\n%v", tt.in, len(lines), len(tt.want), err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Parse(%q) = %v\nwant a line with %q", tt.in, err, w)
			}
		}
	}
}

func TestOpenBolt(t *testing.T) {
	cfg, err := Parse("bolt://" + filepath.Join(t.TempDir(), "sub", "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx kv.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte("b"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if Maintenance(cfg, db) != nil {
		t.Error("a bbolt file needs no maintenance")
	}
}
