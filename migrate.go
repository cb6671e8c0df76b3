package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"nudges/store/kv"
	"nudges/store/kv/kvopen"
)

// migrate copies a stopped store into another: `nudges migrate FROM TO`,
// each a NUDGES_STORE URL (bolt:///…, etcd://…, etcd+embed:///…).
func migrate(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: nudges migrate FROM TO (e.g. bolt:///var/lib/nudges/nudges.db etcd://10.0.0.1:2379)")
	}
	from, err := openStore(args[0])
	if err != nil {
		return err
	}
	defer from.Close()
	to, err := openStore(args[1])
	if err != nil {
		return err
	}
	defer to.Close()
	counts, err := kv.Copy(from, to, kv.CopyLimits{})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		fmt.Printf("%-16s %d keys\n", name, counts[name])
	}
	fmt.Println("copied and verified")
	return nil
}

func openStore(url string) (kv.DB, error) {
	cfg, err := kvopen.Parse(url)
	if err != nil {
		return nil, err
	}
	db, err := kvopen.Open(cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", url, err)
	}
	return db, nil
}
