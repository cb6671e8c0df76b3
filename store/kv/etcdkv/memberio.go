package etcdkv

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"

	"nudges/store/kv/certs"
)

// SocketName is the file in a member's data directory through which this
// process's own client reaches it: a Unix socket, so only the data
// directory's owner (mode 0700) can connect, as with a bbolt file.
const SocketName = "client.sock"

// maxSocketPath is the longest path a Unix socket may have (sun_path less
// its terminating NUL).
const maxSocketPath = 107

// privateDir creates dir with mode 0700, or makes an existing one 0700.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("etcd data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("etcd data directory: %w", err)
	}
	return nil
}

// socket is the absolute path of the member's own client socket.
func (mc MemberConfig) socket() (string, error) {
	dir, err := filepath.Abs(mc.Dir)
	if err != nil {
		return "", fmt.Errorf("etcd data directory: %w", err)
	}
	sock := filepath.Join(dir, SocketName)
	if len(sock) > maxSocketPath {
		return "", fmt.Errorf("etcd data directory %s: path too long for its client socket (at most %d characters with /%s)",
			dir, maxSocketPath, SocketName)
	}
	return sock, nil
}

// clientURLs are where the member listens for clients: its private socket,
// then ClientURL if there is one (the last is the one advertised).
func (mc MemberConfig) clientURLs() ([]url.URL, error) {
	sock, err := mc.socket()
	if err != nil {
		return nil, err
	}
	urls := []url.URL{{Scheme: "unix", Path: sock}}
	if mc.ClientURL == "" {
		return urls, nil
	}
	u, err := url.Parse(mc.ClientURL)
	if err != nil {
		return nil, fmt.Errorf("etcd member client URL: %w", err)
	}
	if u.Scheme != "https" || mc.Certs == "" {
		return nil, fmt.Errorf("etcd member %s: a client port (%s) needs https and certs=DIR: clients must present a certificate", mc.Name, mc.ClientURL)
	}
	return append(urls, *u), nil
}

// tls sets the member's peer and client TLS from Certs: the member's own
// certificate, and certificates from Certs' CA required of every peer and
// every TCP client.
func (mc MemberConfig) tls(cfg *embed.Config) error {
	if mc.Certs == "" {
		return nil
	}
	info := transport.TLSInfo{
		CertFile:       certs.CertFile(mc.Certs, mc.Name),
		KeyFile:        certs.KeyFile(mc.Certs, mc.Name),
		TrustedCAFile:  filepath.Join(mc.Certs, certs.CACert),
		ClientCertAuth: true,
	}
	var errs []error
	for _, f := range []string{info.TrustedCAFile, info.CertFile, info.KeyFile} {
		if _, err := os.Stat(f); err != nil {
			errs = append(errs, fmt.Errorf("etcd member %s: %w (make it with: nudges cert node %s %s HOST...)", mc.Name, err, mc.Certs, mc.Name))
		}
	}
	if fi, err := os.Stat(info.KeyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
		errs = append(errs, fmt.Errorf("etcd member %s: %s is readable by others (chmod 600 it)", mc.Name, info.KeyFile))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	cfg.PeerTLSInfo, cfg.ClientTLSInfo = info, info
	return nil
}
