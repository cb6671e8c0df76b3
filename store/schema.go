package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"

	"nudges/store/kv"
)

// SchemaVersion is the layout of the file this binary reads and writes. A
// change to how something is stored bumps it and appends a Migration.
const SchemaVersion = 7

// Migration moves the file from version To-1 to To. Step changes a bounded
// amount (about migrationBatch keys) after cursor (nil the first time) and
// returns where to resume, nil once done. Each step is its own write
// transaction, which also saves the cursor, so that a large file never holds
// the writer for long and a migration cut short resumes where it stopped.
type Migration struct {
	To   int
	What string
	Step func(tx *Tx, cursor []byte) (next []byte, err error)
}

// migrationBatch is about how many keys one Step may change.
const migrationBatch = 5000

var (
	keySchema    = []byte("schema_version")
	keyMigration = []byte("migration_cursor") // version being migrated to, then the cursor
)

// ErrNewerSchema is returned by Open for a file written by a newer binary.
var ErrNewerSchema = errors.New("database written by a newer version of nudges")

// schemaOf reads the file's version: 0 for a file from before versions were
// kept, SchemaVersion for a new, empty file (fresh true).
func schemaOf(db kv.DB) (version int, fresh bool, err error) {
	err = db.View(func(tx kv.Tx) error {
		if meta := tx.Bucket(bMeta); meta != nil {
			if v := meta.Get(keySchema); len(v) == 8 {
				version = int(binary.BigEndian.Uint64(v))
				return nil
			}
		}
		fresh = tx.ForEachBucket(func([]byte) error { return errStop }) == nil
		return nil
	})
	if fresh {
		version = SchemaVersion
	}
	return version, fresh, err
}

var errStop = errors.New("stop")

// checkSchema refuses a file newer than this binary, before anything writes
// to it.
func checkSchema(db kv.DB, path string) (version int, fresh bool, err error) {
	version, fresh, err = schemaOf(db)
	if err != nil {
		return 0, false, fmt.Errorf("read schema version of %s: %w", path, err)
	}
	if version > SchemaVersion {
		return 0, false, fmt.Errorf("%s has schema version %d, this binary knows up to %d: %w (run the newer binary, or restore a backup from before the upgrade)",
			path, version, SchemaVersion, ErrNewerSchema)
	}
	return version, fresh, nil
}

// migrate runs the migrations after version in order, each in bounded
// steps, and records each version as it is reached.
func (db *DB) migrate(version int, fresh bool, ms []Migration) error {
	if fresh {
		return db.Write(func(tx *Tx) error { return tx.b(bMeta).Put(keySchema, itob(uint64(version))) })
	}
	for _, m := range ms {
		if m.To <= version {
			continue
		}
		if m.To != version+1 {
			return fmt.Errorf("migration to schema %d registered after %d: migrations must run in order", m.To, version)
		}
		slog.Info("migrating database", "path", db.path, "from", version, "to", m.To, "what", m.What)
		if err := db.runMigration(m); err != nil {
			return fmt.Errorf("migrate %s to schema %d (%s): %w", db.path, m.To, m.What, err)
		}
		version = m.To
	}
	return nil
}

// runMigration runs m's steps, one transaction each, from the saved cursor.
func (db *DB) runMigration(m Migration) error {
	for steps := 0; ; steps++ {
		done := false
		err := db.Write(func(tx *Tx) error {
			meta := tx.b(bMeta)
			cursor := savedCursor(meta.Get(keyMigration), m.To)
			next, err := m.Step(tx, cursor)
			if err != nil {
				return err
			}
			if next == nil {
				done = true
				if err := meta.Delete(keyMigration); err != nil {
					return err
				}
				return meta.Put(keySchema, itob(uint64(m.To)))
			}
			if cursor != nil && bytes.Compare(next, cursor) <= 0 {
				return fmt.Errorf("step did not move past cursor %q", cursor)
			}
			return meta.Put(keyMigration, append(itob(uint64(m.To)), next...))
		})
		if err != nil || done {
			return err
		}
		if steps%100 == 99 {
			slog.Info("still migrating", "to", m.To, "steps", steps+1)
		}
	}
}

// savedCursor is the cursor saved for a migration to version to, else nil.
func savedCursor(saved []byte, to int) []byte {
	if len(saved) < 8 || binary.BigEndian.Uint64(saved) != uint64(to) {
		return nil
	}
	return bytes.Clone(saved[8:])
}
