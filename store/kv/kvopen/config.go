// Package kvopen turns a NUDGES_STORE URL into an open kv.DB: a bbolt file,
// an etcd cluster, or an etcd member embedded in this process.
package kvopen

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"nudges/store/kv/etcdkv"
)

// Kind is the engine a Config opens.
type Kind string

// Kinds of store.
const (
	Bolt      Kind = "bolt"
	Etcd      Kind = "etcd"
	EtcdEmbed Kind = "etcd+embed"
)

// Config is a parsed NUDGES_STORE.
type Config struct {
	Kind      Kind
	Path      string   // Bolt: the file
	Endpoints []string // Etcd: host:port of each member
	TLS       TLSFiles // Etcd: client certificate and CA
	Prefix    string   // etcd key prefix, etcdkv.DefaultPrefix
	MaxTxnOps int      // etcd: the cluster's max-txn-ops
	Member    etcdkv.MemberConfig
}

// TLSFiles are PEM files for a TLS connection to etcd.
type TLSFiles struct{ Cert, Key, CA string }

// Parse reads a NUDGES_STORE value:
//
//	bolt:///path/n.db
//	etcd://h1:2379,h2:2379,h3:2379?cert=/c.pem&key=/k.pem&ca=/ca.pem
//	etcd+embed:///data/dir?name=n1&certs=/etc/nudges/certs&peer=https://10.0.0.1:2380&client=https://10.0.0.1:2379&cluster=n1=https://10.0.0.1:2380,n2=…&state=new
//
// etcd options: cert and key (a client certificate, both or neither), ca
// (the CA that signed the members' certificates; any of the three means
// TLS), prefix (the key prefix, /nudges/v1/), max-txn-ops (the cluster's
// limit, 128). etcd+embed options: name, peer (required), certs (a
// directory with ca.crt, NAME.crt and NAME.key: mutual TLS between members,
// https URLs), client (a client port for other processes, https with
// certs only; none by default), cluster (name=peer), state (new or
// existing), max-txn-ops (4096), retention (history kept by compaction,
// 10m), prefix. Without certs only plain http peers on loopback are
// allowed (one machine, for development). Every mistake is one line of the
// error.
func Parse(s string) (Config, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Config{}, fmt.Errorf("NUDGES_STORE %q: want bolt:///path, etcd://host:port,… or etcd+embed:///dir?…", s)
	}
	where, rawQuery, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return Config{}, fmt.Errorf("NUDGES_STORE options: %w", err)
	}
	p := &parser{q: q}
	var cfg Config
	switch Kind(scheme) {
	case Bolt:
		cfg = p.bolt(where)
	case Etcd:
		cfg = p.etcd(where)
	case EtcdEmbed:
		cfg = p.embed(where)
	default:
		return Config{}, fmt.Errorf("NUDGES_STORE: unknown scheme %q (want bolt, etcd or etcd+embed)", scheme)
	}
	p.unknown()
	if err := errors.Join(p.errs...); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// parser gathers one error per mistake and remembers the options used.
type parser struct {
	q    url.Values
	used []string
	errs []error
}

func (p *parser) fail(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("NUDGES_STORE: "+format, args...))
}

func (p *parser) get(name string) string {
	p.used = append(p.used, name)
	return p.q.Get(name)
}

func (p *parser) int(name string, def int) int {
	v := p.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		p.fail("%s=%q is not a positive number", name, v)
		return def
	}
	return n
}

func (p *parser) unknown() {
	for name := range p.q {
		if !slices.Contains(p.used, name) {
			p.fail("unknown option %q", name)
		}
	}
}

func (p *parser) bolt(path string) Config {
	if path == "" {
		p.fail("bolt:// needs a file, e.g. bolt:///var/lib/nudges/nudges.db")
	}
	return Config{Kind: Bolt, Path: path}
}

func (p *parser) etcd(hosts string) Config {
	cfg := Config{Kind: Etcd, Prefix: p.prefix(), MaxTxnOps: p.int("max-txn-ops", 128)}
	for _, h := range strings.Split(hosts, ",") {
		if _, port, err := net.SplitHostPort(h); err != nil || port == "" {
			p.fail("etcd endpoint %q: want host:port", h)
			continue
		}
		cfg.Endpoints = append(cfg.Endpoints, h)
	}
	cfg.TLS = TLSFiles{Cert: p.get("cert"), Key: p.get("key"), CA: p.get("ca")}
	if (cfg.TLS.Cert == "") != (cfg.TLS.Key == "") {
		p.fail("cert and key go together (a client certificate and its private key)")
	}
	return cfg
}

func (p *parser) prefix() string {
	prefix := p.get("prefix")
	if prefix == "" {
		return etcdkv.DefaultPrefix
	}
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		p.fail("prefix=%q must start and end with /", prefix)
	}
	return prefix
}

func (p *parser) embed(dir string) Config {
	m := etcdkv.MemberConfig{
		Dir: dir, Name: p.get("name"), PeerURL: p.get("peer"), ClientURL: p.get("client"),
		Cluster: p.get("cluster"), State: p.get("state"), Certs: p.get("certs"),
		MaxTxnOps: uint(p.int("max-txn-ops", etcdkv.DefaultMemberMaxTxnOps)),
	}
	cfg := Config{Kind: EtcdEmbed, Prefix: p.prefix(), MaxTxnOps: int(m.MaxTxnOps)}
	if dir == "" {
		p.fail("etcd+embed:// needs a data directory, e.g. etcd+embed:///var/lib/nudges/etcd?name=n1&peer=…")
	}
	if m.Name == "" {
		p.fail("etcd+embed needs name= (this member's name, e.g. n1)")
	}
	if m.PeerURL == "" {
		p.fail("etcd+embed needs peer= (e.g. https://10.0.0.1:2380 with certs=DIR, or http://127.0.0.1:2380)")
	} else {
		p.url(m, "peer", m.PeerURL)
	}
	if m.ClientURL != "" {
		p.url(m, "client", m.ClientURL)
	}
	if m.Cluster == "" {
		m.Cluster = m.Name + "=" + m.PeerURL // a cluster of one
	} else {
		p.cluster(m)
	}
	switch m.State {
	case "":
		m.State = "new"
	case "new", "existing":
	default:
		p.fail("state=%q: want new (start a cluster) or existing (join one)", m.State)
	}
	if r := p.get("retention"); r != "" {
		d, err := time.ParseDuration(r)
		if err != nil || d <= 0 {
			p.fail("retention=%q: want a duration such as 10m", r)
		}
		m.Retention = d
	}
	cfg.Member = m
	return cfg
}

// url checks a member URL: https with certs=; without certs, only plain
// http peers on loopback (one machine, for development) and no client port.
func (p *parser) url(m etcdkv.MemberConfig, name, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Port() == "" {
		p.fail("%s=%q: want https://host:port", name, v)
		return
	}
	switch {
	case m.Certs != "" && u.Scheme != "https":
		p.fail("%s=%q: with certs= it must be https://", name, v)
	case m.Certs == "" && name == "client":
		p.fail("client=%q: a client port needs certs=DIR (clients must present a certificate; nudges cert ca/node make them)", v)
	case m.Certs == "" && u.Scheme == "https":
		p.fail("%s=%q: https needs certs=DIR (nudges cert ca/node make them)", name, v)
	case m.Certs == "" && !loopback(u.Hostname()):
		p.fail("%s=%q: members on other machines talk over mutual TLS: add certs=DIR and use https:// (plain http is for 127.0.0.1 only)", name, v)
	}
}

// loopback is true for localhost and loopback addresses.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cluster checks name=url,… and that this member is in it with its peer URL.
func (p *parser) cluster(m etcdkv.MemberConfig) {
	self := false
	for _, entry := range strings.Split(m.Cluster, ",") {
		name, peer, ok := strings.Cut(entry, "=")
		if !ok || name == "" || peer == "" {
			p.fail("cluster entry %q: want name=https://host:port", entry)
			continue
		}
		if name != m.Name {
			p.url(m, "cluster entry "+name, peer)
		}
		if name == m.Name {
			self = true
			if m.PeerURL != "" && peer != m.PeerURL {
				p.fail("cluster says %s is at %s but peer=%s", name, peer, m.PeerURL)
			}
		}
	}
	if !self && m.Name != "" {
		p.fail("cluster=%q does not list this member (%s)", m.Cluster, m.Name)
	}
}
