package webkit

import (
	"fmt"
	"html/template"
	"strings"

	"nudges/store"
)

// Chart geometry in SVG user units; the SVG scales to the page width, at
// most its own (style.css), so labels of chartFont units are about 11 px on
// a 390 px phone and chartFont px on a desktop.
const (
	chartW, chartH             = 600.0, 240.0
	chartFont                  = 18
	padLeft, padRight          = 60.0, 14.0
	padTop, padBottom          = 14.0, 36.0
	plotW, plotH               = chartW - padLeft - padRight, chartH - padTop - padBottom
	chartGrid                  = 4
	chartLine, chartArea, axis = "#2563eb", "#dbeafe", "#94a3b8"
)

// GrowthChart draws subscriptions per day as a server-rendered SVG: an area
// under the running total, a grid with round numbers, and first/last dates.
// Only numbers and dates go into the markup, so it is safe as template.HTML.
func GrowthChart(days []store.DayCount) template.HTML {
	if len(days) == 0 {
		return ""
	}
	top := 0
	for _, d := range days {
		top = max(top, d.Total)
	}
	top = NiceCeil(top)
	x := func(i int) float64 {
		if len(days) == 1 {
			return padLeft + plotW/2
		}
		return padLeft + plotW*float64(i)/float64(len(days)-1)
	}
	y := func(v int) float64 { return padTop + plotH - plotH*float64(v)/float64(top) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-label="Subscriptions per day, last %d days: %d now">`,
		chartW, chartH, len(days), days[len(days)-1].Total)
	for g := 0; g <= chartGrid; g++ {
		v := top * g / chartGrid
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="0.5"/>`, padLeft, y(v), chartW-padRight, y(v), axis)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" font-size="%d" text-anchor="end" fill="#475569">%d</text>`, padLeft-8, y(v)+6, chartFont, v)
	}
	var pts strings.Builder
	for i, d := range days {
		fmt.Fprintf(&pts, "%.1f,%.1f ", x(i), y(d.Total))
	}
	fmt.Fprintf(&b, `<polygon points="%.1f,%.1f %s%.1f,%.1f" fill="%s"/>`, x(0), y(0), pts.String(), x(len(days)-1), y(0), chartArea)
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.TrimSpace(pts.String()), chartLine)
	last := days[len(days)-1]
	fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`, x(len(days)-1), y(last.Total), chartLine)
	for _, i := range []int{0, len(days) / 2, len(days) - 1} {
		anchor := map[int]string{0: "start", len(days) - 1: "end"}[i]
		if anchor == "" {
			anchor = "middle"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="%d" text-anchor="%s" fill="#475569">%s</text>`,
			x(i), chartH-10, chartFont, anchor, days[i].Day.Format("Jan 2"))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// NiceCeil rounds n up to a top whose grid lines fall on round numbers:
// chartGrid steps of 1, 2 or 5 times a power of ten.
func NiceCeil(n int) int {
	want := max((n+chartGrid-1)/chartGrid, 1)
	for pow := 1; ; pow *= 10 {
		for _, m := range []int{1, 2, 5} {
			if step := m * pow; step >= want {
				return step * chartGrid
			}
		}
	}
}
