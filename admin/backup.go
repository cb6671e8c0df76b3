package admin

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"nudges/webhooks/webkit"
)

// How a backup reaches a slow reader: in chunks, each of which must be
// taken within backupStall, or the download is cut off.
const (
	backupChunk = 256 << 10
	backupStall = 30 * time.Second
)

// backup downloads a consistent snapshot of the database. The snapshot is
// first copied to a temporary file beside the database (a read transaction
// held only as long as a local copy takes), then that file is streamed:
// however slowly the client reads, no transaction stays open, so writes and
// the file's growth go on (bbolt grows the file only once every reader has
// let go of the old mapping). The download sets its own write deadline per
// chunk, since it may take longer than any other response.
func (c *Console) backup(ec echo.Context) error {
	start := time.Now()
	f, size, err := c.snapshot()
	if err != nil {
		return c.kit.Internal(ec, "backup snapshot", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	name := "nudges-" + c.cfg.Clock.Now().UTC().Format("20060102-150405") + ".db"
	h := ec.Response().Header()
	h.Set(echo.HeaderContentType, "application/octet-stream")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
	ec.Response().WriteHeader(http.StatusOK)
	n, err := c.stream(ec, f)
	if err != nil {
		// Headers are gone: the client sees a truncated file; log it loudly.
		c.log.Error("console: backup download cut off", "err", err, "bytes", n, "of", size)
		return nil
	}
	c.log.Info("console: backup downloaded", "bytes", n, "took", time.Since(start), "by", webkit.Who(ec))
	return nil
}

// snapshot writes the database to a new temporary file in its directory
// (same disk, and no other file system's limits) and returns it rewound,
// with its size. The caller closes and removes it.
func (c *Console) snapshot() (*os.File, int64, error) {
	f, err := os.CreateTemp(filepath.Dir(c.db.Path()), ".nudges-backup-*.tmp")
	if err != nil {
		return nil, 0, fmt.Errorf("temporary file for the backup: %w", err)
	}
	// Unlinked at once where the system allows it (the open file stays
	// readable), so a crash mid-download leaves nothing behind.
	os.Remove(f.Name())
	n, err := c.db.Backup(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, fmt.Errorf("snapshot to %s: %w", f.Name(), err)
	}
	return f, n, nil
}

// stream copies r to the response a chunk at a time, giving each chunk
// backupStall to be taken by the client.
func (c *Console) stream(ec echo.Context, r io.Reader) (int64, error) {
	rc := http.NewResponseController(ec.Response()) // through every Unwrap to the connection
	buf := make([]byte, backupChunk)
	var n int64
	warned := false
	for {
		k, rerr := io.ReadFull(r, buf)
		if k > 0 {
			err := rc.SetWriteDeadline(time.Now().Add(backupStall))
			if errors.Is(err, http.ErrNotSupported) && !warned {
				// A wrapper without Unwrap: the server's own write timeout applies.
				c.log.Warn("console: backup cannot extend its write deadline; a long download may be cut off", "err", err)
				warned = true
			} else if err != nil && !errors.Is(err, http.ErrNotSupported) {
				return n, fmt.Errorf("set write deadline: %w", err)
			}
			w, err := ec.Response().Write(buf[:k])
			n += int64(w)
			if err != nil {
				return n, err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("read snapshot: %w", rerr)
		}
	}
}
