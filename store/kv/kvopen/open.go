package kvopen

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"nudges/store/kv"
	"nudges/store/kv/boltkv"
	"nudges/store/kv/etcdkv"
)

// Open opens the store cfg names. On etcd it fails at once, with one line,
// when the cluster has no quorum.
func Open(cfg Config) (kv.DB, error) {
	switch cfg.Kind {
	case Bolt:
		return boltkv.Open(cfg.Path)
	case Etcd:
		return openEtcd(cfg)
	case EtcdEmbed:
		m, err := etcdkv.StartMember(cfg.Member)
		if err != nil {
			return nil, err
		}
		db, err := m.Open(etcdkv.Options{Prefix: cfg.Prefix, MaxTxnOps: cfg.MaxTxnOps})
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("etcd member %s: %w", cfg.Member.Name, err)
		}
		return db, nil
	}
	return nil, fmt.Errorf("store kind %q", cfg.Kind)
}

func openEtcd(cfg Config) (kv.DB, error) {
	cc := clientv3.Config{Endpoints: cfg.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	if cfg.TLS != (TLSFiles{}) {
		info := transport.TLSInfo{CertFile: cfg.TLS.Cert, KeyFile: cfg.TLS.Key, TrustedCAFile: cfg.TLS.CA}
		tc, err := info.ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("etcd TLS: %w", err)
		}
		cc.TLS = tc
	}
	cli, err := clientv3.New(cc)
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	db := etcdkv.New(cli, etcdkv.Options{Prefix: cfg.Prefix, MaxTxnOps: cfg.MaxTxnOps})
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("etcd %s: no quorum answered (are the members running and reachable?): %w",
			strings.Join(cfg.Endpoints, ","), err)
	}
	return db, nil
}

// Maintenance is the background work a store needs while the service runs,
// nil if none: on an existing etcd cluster, compaction (an embedded member
// compacts itself).
func Maintenance(cfg Config, db kv.DB) func(ctx context.Context) error {
	e, ok := db.(*etcdkv.DB)
	if cfg.Kind != Etcd || !ok {
		return nil
	}
	return func(ctx context.Context) error { return e.CompactLoop(ctx, 10*time.Minute) }
}
