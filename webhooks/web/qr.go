package web

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// quietZone is the blank border, in modules, that scanners need.
const quietZone = 4

// QRSVG draws text as a QR code (error correction M) in SVG: one path of
// unit squares on a white square, scalable to any size.
func QRSVG(text string) ([]byte, error) {
	w := &svgWriter{}
	if err := drawQR(text, w); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

// QRPNG draws text as a QR code (error correction M) in PNG, each module
// scale pixels square (for print, where an SVG will not do).
func QRPNG(text string, scale int) ([]byte, error) {
	w := &pngWriter{scale: max(scale, 1)}
	if err := drawQR(text, w); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

func drawQR(text string, w qrcode.Writer) error {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return fmt.Errorf("encode QR: %w", err)
	}
	if err := q.Save(w); err != nil {
		return fmt.Errorf("draw QR: %w", err)
	}
	return nil
}

// pngWriter is a qrcode.Writer that draws the matrix as a grey PNG.
type pngWriter struct {
	scale int
	buf   bytes.Buffer
}

func (w *pngWriter) Write(mat qrcode.Matrix) error {
	bits := mat.Bitmap()
	n := (len(bits) + 2*quietZone) * w.scale
	img := image.NewGray(image.Rect(0, 0, n, n))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := range w.scale {
				for dx := range w.scale {
					img.SetGray((x+quietZone)*w.scale+dx, (y+quietZone)*w.scale+dy, color.Gray{})
				}
			}
		}
	}
	return png.Encode(&w.buf, img)
}

func (w *pngWriter) Close() error { return nil }

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
