package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// iconPath is the bundle icon, drawn by drawIcon. UPDATE_SNAPSHOTS=1
// rewrites it.
const iconPath = "packaging/icon.png"

// drawIcon draws the project's icon: a key (OAuth credentials) in the
// green of a live connection, on a dark rounded square. Each pixel is the
// average of a 4×4 grid of samples, so the edges are smooth.
func drawIcon() *image.NRGBA {
	const size, grid = 256, 4
	bg := color.NRGBA{0x0b, 0x1f, 0x2a, 0xff}
	key := color.NRGBA{0x00, 0xc0, 0x8b, 0xff}
	// shape tells what covers the point (x, y): 0 nothing, 1 background, 2 key.
	shape := func(x, y float64) int {
		if !inRoundedSquare(x, y, size, 48) {
			return 0
		}
		d := math.Hypot(x-92, y-128)
		switch {
		case d <= 54 && d >= 26: // the bow
			return 2
		case x >= 140 && x <= 224 && y >= 116 && y <= 140: // the shaft
			return 2
		case x >= 182 && x <= 196 && y >= 140 && y <= 170, x >= 208 && x <= 222 && y >= 140 && y <= 160: // the bit
			return 2
		}
		return 1
	}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := range size {
		for px := range size {
			var r, g, b, a float64
			for sy := range grid {
				for sx := range grid {
					x := float64(px) + (float64(sx)+0.5)/grid
					y := float64(py) + (float64(sy)+0.5)/grid
					var c color.NRGBA
					switch shape(x, y) {
					case 1:
						c = bg
					case 2:
						c = key
					default:
						continue
					}
					r, g, b, a = r+float64(c.R), g+float64(c.G), b+float64(c.B), a+255
				}
			}
			if a == 0 {
				continue
			}
			n := a / 255
			img.SetNRGBA(px, py, color.NRGBA{uint8(r/n + 0.5), uint8(g/n + 0.5), uint8(b/n + 0.5), uint8(a/(grid*grid) + 0.5)})
		}
	}
	return img
}

func inRoundedSquare(x, y, size, radius float64) bool {
	cx := math.Max(radius, math.Min(size-radius, x))
	cy := math.Max(radius, math.Min(size-radius, y))
	return math.Hypot(x-cx, y-cy) <= radius
}

// TestIcon: the committed icon is the one drawIcon draws (compared pixel by
// pixel, since PNG compression may differ between Go versions), a square
// PNG with transparent corners.
func TestIcon(t *testing.T) {
	t.Parallel()
	want := drawIcon()
	path := filepath.Join(root, iconPath)
	if os.Getenv("UPDATE_SNAPSHOTS") != "" {
		var buf bytes.Buffer
		require.NoError(t, (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, want))
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	f, err := os.Open(path)
	require.NoError(t, err, "UPDATE_SNAPSHOTS=1 go test ./packaging/mcpb draws it")
	defer f.Close()
	got, err := png.Decode(f)
	require.NoError(t, err)
	require.Equal(t, want.Bounds(), got.Bounds(), "256×256")
	same := true
	for y := range want.Bounds().Dy() {
		for x := range want.Bounds().Dx() {
			if color.NRGBAModel.Convert(got.At(x, y)) != want.NRGBAAt(x, y) {
				same = false
			}
		}
	}
	assert.True(t, same, "%s is stale: UPDATE_SNAPSHOTS=1 go test ./packaging/mcpb redraws it", iconPath)
	assert.Zero(t, want.NRGBAAt(0, 0).A, "transparent corners")
	assert.Equal(t, uint8(0xc0), want.NRGBAAt(92, 128-40).G, "the key's bow")
}
