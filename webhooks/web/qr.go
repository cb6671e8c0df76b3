package web

import (
	"bytes"
	"fmt"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// quietZone is the blank border, in modules, that scanners need.
const quietZone = 4

// QRSVG draws text as a QR code (error correction M) in SVG: one path of
// unit squares on a white square, scalable to any size.
func QRSVG(text string) ([]byte, error) {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("encode QR: %w", err)
	}
	w := &svgWriter{}
	if err := q.Save(w); err != nil {
		return nil, fmt.Errorf("draw QR: %w", err)
	}
	return w.buf.Bytes(), nil
}

// svgWriter is a qrcode.Writer that draws the matrix as SVG.
type svgWriter struct{ buf bytes.Buffer }

func (w *svgWriter) Write(mat qrcode.Matrix) error {
	bits := mat.Bitmap()
	n := len(bits) + 2*quietZone
	fmt.Fprintf(&w.buf, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&w.buf, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&w.buf, "M%d %dh1v1h-1z", x+quietZone, y+quietZone)
			}
		}
	}
	w.buf.WriteString(`"/></svg>`)
	return nil
}

func (w *svgWriter) Close() error { return nil }
