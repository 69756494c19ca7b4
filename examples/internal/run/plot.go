package run

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Series is one curve of a Panel: points (X[i], Y[i]) under a legend name,
// drawn as a wide solid line, or a thin dashed one (for a reference that
// may lie on top of another curve).
type Series struct {
	Name   string
	X, Y   []float64
	Dashed bool
}

// Panel is one plot of a Figure.
type Panel struct {
	Title, XLabel, YLabel string
	LogY                  bool // logarithmic y axis
	LegendBottom          bool // the legend at the bottom right instead of the top right
	Series                []Series
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
}

// Figure writes the panels side by side as a PNG image to the file at
// path, atomically (WriteFile). It returns an error for a series whose X
// and Y differ in length, or if the file cannot be written.
func Figure(path string, panels ...Panel) error {
	const w, h = 5.5 * vg.Inch, 4 * vg.Inch
	plots := make([][]*plot.Plot, 1)
	for _, pn := range panels {
		p := plot.New()
		p.Title.Text = pn.Title
		p.X.Label.Text = pn.XLabel
		p.Y.Label.Text = pn.YLabel
		p.Add(plotter.NewGrid())
		if pn.LogY {
			p.Y.Scale = plot.LogScale{}
			p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		}
		for i, s := range pn.Series {
			if len(s.X) != len(s.Y) {
				return fmt.Errorf("figure %s: series %q has %d x and %d y", path, s.Name, len(s.X), len(s.Y))
			}
			if len(s.X) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(s.X))
			for j := range xy {
				xy[j].X, xy[j].Y = s.X[j], s.Y[j]
			}
			l, err := plotter.NewLine(xy)
			if err != nil {
				return fmt.Errorf("figure %s: series %q: %w", path, s.Name, err)
			}
			l.Color = palette[i%len(palette)]
			l.Width = vg.Points(3)
			if s.Dashed {
				l.Width = vg.Points(1.5)
				l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			p.Add(l)
			if s.Name != "" {
				p.Legend.Add(s.Name, l)
			}
		}
		p.Legend.Top = !pn.LegendBottom
		p.Legend.YOffs = vg.Millimeter * -2
		if pn.LegendBottom {
			p.Legend.YOffs = vg.Millimeter * 6
		}
		plots[0] = append(plots[0], p)
	}
	img := vgimg.New(w*vg.Length(len(panels)), h)
	dc := draw.New(img)
	t := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align(plots, t, dc)
	for j, p := range plots[0] {
		p.Draw(canvases[0][j])
	}
	return WriteFile(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(w)
		return err
	})
}
