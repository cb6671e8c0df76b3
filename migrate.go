package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
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
	from, err := openSource(args[0])
	if err != nil {
		return err
	}
	defer from.Close()
	to, err := openStore(args[1])
	if err != nil {
		return err
	}
	defer to.Close()
	if err := checkEnds(args, from, to); err != nil {
		return err
	}
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

// openSource opens the store to copy from. A bbolt file that is not there
// is refused: opening it would create an empty one, and a mistyped path
// would "copy" nothing and report success.
func openSource(url string) (kv.DB, error) {
	cfg, err := kvopen.Parse(url)
	if err != nil {
		return nil, err
	}
	if cfg.Kind == kvopen.Bolt {
		if _, err := os.Stat(cfg.Path); err != nil {
			return nil, fmt.Errorf("migrate: source %s: %w", url, err)
		}
	}
	return openStore(url)
}

// checkEnds refuses a source holding no keys (the wrong address or prefix)
// and a destination that already holds some: Copy would overwrite them
// before its check could say so.
func checkEnds(args []string, from, to kv.DB) error {
	for i, db := range []kv.DB{from, to} {
		counts, err := kv.CountKeys(db)
		if err != nil {
			return fmt.Errorf("migrate: count keys of %s: %w", args[i], err)
		}
		n := 0
		for _, c := range counts {
			n += c
		}
		if i == 0 && n == 0 {
			return fmt.Errorf("migrate: %s holds no keys: nothing to copy (check the URL)", args[0])
		}
		if i == 1 && n > 0 {
			return fmt.Errorf("migrate: %s already holds %d keys: copy into an empty store", args[1], n)
		}
	}
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
