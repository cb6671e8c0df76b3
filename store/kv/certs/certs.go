// Package certs makes the certificates etcd members and clients use to
// trust each other: one CA per deployment (`nudges cert ca DIR`) and a
// certificate per node signed by it (`nudges cert node DIR NAME HOST...`),
// good both as a TLS server and a TLS client. Keys are ECDSA P-256, written
// with mode 0600; a file that exists is never overwritten.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// File names inside a certificate directory.
const (
	CACert = "ca.crt"
	CAKey  = "ca.key"
)

// Lifetimes of what CA and Node write.
const (
	CALifetime   = 10 * 365 * 24 * time.Hour
	NodeLifetime = 5 * 365 * 24 * time.Hour
)

// CertFile and KeyFile are where node name's certificate and key live in dir.
func CertFile(dir, name string) string { return filepath.Join(dir, name+".crt") }

// KeyFile is node name's private key in dir.
func KeyFile(dir, name string) string { return filepath.Join(dir, name+".key") }

// CA writes a new certificate authority to dir/ca.crt and dir/ca.key
// (dir is created with mode 0700 if missing).
func CA(dir string) error {
	if err := fresh(filepath.Join(dir, CACert), filepath.Join(dir, CAKey)); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"Nudges"}, CommonName: "Nudges etcd CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("make CA certificate: %w", err)
	}
	return write(dir, CACert, CAKey, der, key)
}

// validName is a node name usable as a file name and an etcd member name.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// Node writes dir/name.crt and dir/name.key: a certificate for hosts (DNS
// names or IP addresses), signed by the CA in dir, usable by a server and
// a client alike.
func Node(dir, name string, hosts []string) error {
	if !validName.MatchString(name) || name == "ca" {
		return fmt.Errorf("node name %q: want letters, digits, '.', '-' or '_' (e.g. n1), not ca", name)
	}
	if len(hosts) == 0 {
		return errors.New("a node certificate needs at least one host name or IP address (where the other members reach it)")
	}
	if err := fresh(CertFile(dir, name), KeyFile(dir, name)); err != nil {
		return err
	}
	ca, caKey, err := loadCA(dir)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Organization: []string{"Nudges"}, CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(NodeLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if tmpl.NotAfter.After(ca.NotAfter) {
		tmpl.NotAfter = ca.NotAfter
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("sign node certificate: %w", err)
	}
	return write(dir, name+".crt", name+".key", der, key)
}

// loadCA reads dir/ca.crt and dir/ca.key.
func loadCA(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, CACert))
	if err != nil {
		return nil, nil, fmt.Errorf("read the CA (make one with: nudges cert ca %s): %w", dir, err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, CAKey))
	if err != nil {
		return nil, nil, fmt.Errorf("read the CA's key: %w", err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("%s or %s is not PEM", filepath.Join(dir, CACert), filepath.Join(dir, CAKey))
	}
	ca, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse the CA certificate: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse the CA key: %w", err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || !ca.IsCA {
		return nil, nil, errors.New("the CA files in " + dir + " are not an ECDSA certificate authority")
	}
	return ca, key, nil
}

// fresh refuses to overwrite: a new key for an existing name would lock a
// running member out, and a new CA would split the cluster.
func fresh(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s exists: not overwritten (remove it first to replace it)", p)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// write puts the certificate (0644) and key (0600) in dir (0700).
func write(dir, certName, keyName string, der []byte, key *ecdsa.PrivateKey) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("certificate directory: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	keyPath := filepath.Join(dir, keyName)
	if err := writeNew(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		return err
	}
	if err := writeNew(filepath.Join(dir, certName), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		os.Remove(keyPath)
		return err
	}
	return nil
}

// writeNew creates path with mode (never an existing file) and syncs it.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n
}
