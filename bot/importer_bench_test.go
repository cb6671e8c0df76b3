package bot_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"nudges/bot"
	"nudges/store"
)

// BenchmarkImport imports a generated CSV of NUDGES_IMPORT_ROWS rows
// (default 1,000,000) onto one list of a fresh database per iteration,
// phones in scattered order: phone, joined_at, source, and with
// NUDGES_IMPORT_LANGUAGE=1 a language column too (half es, half en), which
// costs a conversation per phone. Run it with -benchtime=1x; it reports
// rows/s and the peak heap.
//
//	go test ./bot -run '^$' -bench Import -benchtime=1x
func BenchmarkImport(b *testing.B) {
	withLang := os.Getenv("NUDGES_IMPORT_LANGUAGE") == "1"
	rows := 1_000_000
	if s := os.Getenv("NUDGES_IMPORT_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	for range b.N {
		b.StopTimer()
		db, err := store.Open(filepath.Join(b.TempDir(), "n.db"))
		if err != nil {
			b.Fatal(err)
		}
		err = db.Write(func(tx *store.Tx) error {
			return tx.PutClient(&bot.Client{Phone: "+15550009999", Name: "Big", Keyword: "BIG", Status: bot.ClientActive})
		})
		if err != nil {
			b.Fatal(err)
		}
		r, w := io.Pipe()
		go writeRows(w, rows, withLang)
		var peak uint64
		var ms runtime.MemStats
		b.StartTimer()
		start := time.Now()
		res, err := bot.Import(context.Background(), db, bot.SystemClock{}, r,
			bot.ImportRequest{Keyword: "BIG", File: "big.csv", Admin: "+15550000001"},
			func(bot.ImportResult) {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			})
		took := time.Since(start)
		b.StopTimer()
		if err != nil || res.Added != rows {
			b.Fatalf("import: %v, %+v", err, res)
		}
		b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
		b.ReportMetric(took.Seconds(), "s/import")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		if fi, err := os.Stat(db.Path()); err == nil {
			b.ReportMetric(float64(fi.Size())/float64(rows), "file-B/row")
		}
		db.Close()
	}
}

// writeRows writes a header and n rows, the phones a permutation of a
// 10-million range so that they arrive out of order as real lists do.
func writeRows(w *io.PipeWriter, n int, withLang bool) {
	bw := make([]byte, 0, 64<<10)
	lang := []string{"", ""}
	if withLang {
		bw = append(bw, "language,"...)
		lang = []string{"en,", "es,"}
	}
	bw = append(bw, "phone,joined_at,source\n"...)
	for i := range n {
		p := (uint64(i)*7_919_033 + 12_345) % 10_000_000
		bw = fmt.Appendf(bw, "%s+1 (555) %03d-%04d,2025-06-%02d,web form\n", lang[i%2], p/10_000, p%10_000, 1+i%28)
		if len(bw) > 60<<10 {
			if _, err := w.Write(bw); err != nil {
				return
			}
			bw = bw[:0]
		}
	}
	w.Write(bw)
	w.Close()
}
