package web

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

// The PNG draws the same modules as the SVG, scale pixels each, with the
// quiet zone around.
func TestQRPNGMatchesTheSVG(t *testing.T) {
	text := "https://nudges.example.com/j/YOGA"
	svg, err := QRSVG(text)
	if err != nil {
		t.Fatal(err)
	}
	const scale = 4
	raw, err := QRPNG(text, scale)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != b.Dy() || b.Dx()%scale != 0 {
		t.Fatalf("PNG is %dx%d", b.Dx(), b.Dy())
	}
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				dark++
			}
		}
	}
	if want := strings.Count(string(svg), "h1v1h-1z") * scale * scale; dark != want || want == 0 {
		t.Errorf("PNG has %d dark pixels, the SVG's modules make %d", dark, want)
	}
	for x := 0; x < quietZone*scale; x++ {
		if r, _, _, _ := img.At(x, x).RGBA(); r < 0x8000 {
			t.Fatal("the quiet zone is not blank")
		}
	}
}
