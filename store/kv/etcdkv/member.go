package etcdkv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// MemberConfig is an etcd member run inside this process.
type MemberConfig struct {
	Dir       string // data directory
	Name      string // member name, unique in the cluster
	PeerURL   string // where the other members reach this one (listened on)
	ClientURL string // where clients reach it (listened on), e.g. http://127.0.0.1:2379
	Cluster   string // initial cluster: n1=http://a:2380,n2=…; default Name=PeerURL
	State     string // "new" (bootstrap) or "existing" (join)
	// MaxTxnOps is the most operations per transaction, 4096 by default
	// (etcd's own default, 128, is too few for chunked fan-outs).
	MaxTxnOps uint
	// Retention is how much history auto compaction keeps, 10 minutes by
	// default: older revisions are dropped, so the data file stops growing.
	Retention    time.Duration
	StartTimeout time.Duration // for the member to join its cluster, 60 s
	LogLevel     string        // etcd's log level, "error" by default
}

// DefaultMemberMaxTxnOps is an embedded member's max-txn-ops.
const DefaultMemberMaxTxnOps = 4096

// Member is a running embedded etcd member.
type Member struct {
	etcd *embed.Etcd
	cfg  MemberConfig
}

// StartMember starts the member and waits until it serves (its cluster has
// a leader) or StartTimeout passes.
func StartMember(mc MemberConfig) (*Member, error) {
	cfg, err := mc.embedConfig()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(mc.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("etcd data directory: %w", err)
	}
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
		return &Member{etcd: e, cfg: mc}, nil
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("etcd member %s: %w", mc.Name, err)
	case <-time.After(timeout):
		e.Server.Stop()
		e.Close()
		return nil, fmt.Errorf("etcd member %s: no quorum after %s (are the other members of %s running?)", mc.Name, timeout, mc.Cluster)
	}
}

func (mc MemberConfig) embedConfig() (*embed.Config, error) {
	peer, err1 := url.Parse(mc.PeerURL)
	client, err2 := url.Parse(mc.ClientURL)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("etcd member URLs: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = mc.Name, mc.Dir
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
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
	cfg.LogLevel = mc.LogLevel
	if cfg.LogLevel == "" {
		cfg.LogLevel = "error"
	}
	return cfg, nil
}

// Client is a client of this member only: reads at a revision never reach
// a member that lags behind it.
func (m *Member) Client() (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{m.cfg.ClientURL},
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

// ClientURL is where the member serves clients.
func (m *Member) ClientURL() string { return m.cfg.ClientURL }

// Name is the member's name.
func (m *Member) Name() string { return m.cfg.Name }

// IsLeader is true while this member leads its cluster's Raft.
func (m *Member) IsLeader() bool {
	return m.etcd.Server.Leader() == m.etcd.Server.MemberID()
}

// Close stops the member.
func (m *Member) Close() error {
	m.etcd.Close()
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
