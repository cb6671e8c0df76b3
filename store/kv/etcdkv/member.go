package etcdkv

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// MemberConfig is an etcd member run inside this process.
type MemberConfig struct {
	Dir     string // data directory
	Name    string // member name, unique in the cluster
	PeerURL string // where the other members reach this one (listened on)
	// ClientURL is a TCP port for other processes' clients, e.g.
	// https://10.0.0.1:2379; empty means none. This process reaches its
	// member through a socket inside Dir (mode 0700) either way.
	ClientURL string
	// Certs is a directory with ca.crt, Name.crt and Name.key (package
	// certs): with it, peers and clients must present a certificate from
	// that CA, and PeerURL, ClientURL and Cluster use https.
	Certs   string
	Cluster string // initial cluster: n1=http://a:2380,n2=…; default Name=PeerURL
	State   string // "new" (bootstrap) or "existing" (join)
	// MaxTxnOps is the most operations per transaction, 4096 by default
	// (etcd's own default, 128, is too few for chunked fan-outs).
	MaxTxnOps uint
	// Retention is how much history auto compaction keeps, 10 minutes by
	// default: older revisions are dropped, so the data file stops growing.
	Retention    time.Duration
	StartTimeout time.Duration // for the member to join its cluster, 60 s
	LogLevel     string        // etcd's log level, "error" by default
	Log          io.Writer     // where etcd logs (JSON lines), stderr by default
}

// DefaultMemberMaxTxnOps is an embedded member's max-txn-ops.
const DefaultMemberMaxTxnOps = 4096

// Member is a running embedded etcd member.
type Member struct {
	etcd    *embed.Etcd
	cfg     MemberConfig
	close   sync.Once
	closing *atomic.Bool // set once Close begins: quiets its servers' "closed" errors
}

// StartMember starts the member and waits until it serves (its cluster has
// a leader) or StartTimeout passes.
func StartMember(mc MemberConfig) (*Member, error) {
	if err := privateDir(mc.Dir); err != nil {
		return nil, err
	}
	cfg, err := mc.embedConfig()
	if err != nil {
		return nil, err
	}
	closing := new(atomic.Bool)
	level := mc.LogLevel
	if level == "" {
		level = "error"
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(memberLogger(level, mc.Log, closing))
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start etcd member %s: %w", mc.Name, err)
	}
	timeout := mc.StartTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	select {
	case <-e.Server.ReadyNotify():
		return &Member{etcd: e, cfg: mc, closing: closing}, nil
	case err := <-e.Err():
		closing.Store(true)
		e.Close()
		return nil, fmt.Errorf("etcd member %s: %w", mc.Name, err)
	case <-time.After(timeout):
		closing.Store(true)
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("etcd member %s: no quorum after %s (are the other members of %s running?)", mc.Name, timeout, mc.Cluster)
	}
}

func (mc MemberConfig) embedConfig() (*embed.Config, error) {
	peer, err := url.Parse(mc.PeerURL)
	if err != nil {
		return nil, fmt.Errorf("etcd member peer URL: %w", err)
	}
	clients, err := mc.clientURLs()
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = mc.Name, mc.Dir
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = clients, clients[len(clients)-1:]
	if err := mc.tls(cfg); err != nil {
		return nil, err
	}
	cfg.InitialCluster = mc.Cluster
	if cfg.InitialCluster == "" {
		cfg.InitialCluster = mc.Name + "=" + mc.PeerURL
	}
	cfg.ClusterState = embed.ClusterStateFlagNew
	if mc.State == embed.ClusterStateFlagExisting {
		cfg.ClusterState = embed.ClusterStateFlagExisting
	}
	cfg.InitialClusterToken = "nudges"
	cfg.MaxTxnOps = mc.MaxTxnOps
	if cfg.MaxTxnOps == 0 {
		cfg.MaxTxnOps = DefaultMemberMaxTxnOps
	}
	retention := mc.Retention
	if retention <= 0 {
		retention = 10 * time.Minute
	}
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = retention.String()
	return cfg, nil
}

// Client is a client of this member only: reads at a revision never reach
// a member that lags behind it.
func (m *Member) Client() (*clientv3.Client, error) {
	sock, err := m.cfg.socket()
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{"unix://" + sock},
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client of member %s: %w", m.cfg.Name, err)
	}
	return cli, nil
}

// Open is a DB on this member's client; closing it stops the member too.
func (m *Member) Open(opts Options) (*DB, error) {
	cli, err := m.Client()
	if err != nil {
		return nil, err
	}
	opts.Closer = m
	if opts.MaxTxnOps == 0 {
		opts.MaxTxnOps = int(m.etcd.Config().MaxTxnOps)
	}
	db := New(cli, opts)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// ClientURL is where the member serves other processes' clients, empty
// if nowhere.
func (m *Member) ClientURL() string { return m.cfg.ClientURL }

// Name is the member's name.
func (m *Member) Name() string { return m.cfg.Name }

// IsLeader is true while this member leads its cluster's Raft.
func (m *Member) IsLeader() bool {
	return m.etcd.Server.Leader() == m.etcd.Server.MemberID()
}

// Close stops the member; closing it again does nothing.
func (m *Member) Close() error {
	m.close.Do(func() {
		m.closing.Store(true)
		m.etcd.Close()
	})
	return nil
}

// WaitLeader waits until the cluster has a leader or ctx ends.
func (m *Member) WaitLeader(ctx context.Context) error {
	for m.etcd.Server.Leader() == 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("etcd member %s: no leader: %w", m.cfg.Name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
