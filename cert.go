package main

import (
	"fmt"
	"path/filepath"

	"nudges/store/kv/certs"
)

// certUsage is the help of `nudges cert`.
const certUsage = "usage: nudges cert ca DIR | nudges cert node DIR NAME HOST..."

// cert runs `nudges cert ca DIR` (a new CA: DIR/ca.crt, DIR/ca.key) and
// `nudges cert node DIR NAME HOST...` (DIR/NAME.crt and DIR/NAME.key for
// those host names and IP addresses, signed by DIR's CA): the certificates
// etcd members and their clients present to each other.
func cert(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("%s", certUsage)
	}
	dir := args[1]
	switch {
	case args[0] == "ca" && len(args) == 2:
		if err := certs.CA(dir); err != nil {
			return err
		}
		fmt.Printf("wrote %s and %s (keep ca.key off the servers; copy ca.crt to each)\n",
			filepath.Join(dir, certs.CACert), filepath.Join(dir, certs.CAKey))
		return nil
	case args[0] == "node" && len(args) >= 4:
		name := args[2]
		if err := certs.Node(dir, name, args[3:]); err != nil {
			return err
		}
		fmt.Printf("wrote %s and %s for %v\n", certs.CertFile(dir, name), certs.KeyFile(dir, name), args[3:])
		return nil
	}
	return fmt.Errorf("%s", certUsage)
}
