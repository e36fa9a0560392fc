package app_test

import (
	"fmt"
	"html"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// plotDashboard renders the series of a dashboard's time-series panels, as
// Prometheus returns them over the last window, into an SVG of small
// multiples: the rendered plot of what the dashboard shows. Written to
// $TEST_ARTIFACTS (or the test's temporary folder).
func plotDashboard(t *testing.T, p *promServer, d dashboard, subst *strings.Replacer, window time.Duration) string {
	t.Helper()
	const cols, w, h, pad = 3, 420, 230, 40
	type series struct {
		name string
		pts  [][2]float64
	}
	var panels []struct {
		title  string
		series []series
	}
	end := time.Now()
	start := end.Add(-window)
	for _, pn := range d.Panels {
		if pn.Type != "timeseries" {
			continue
		}
		var ss []series
		for _, tg := range pn.Targets {
			var r struct {
				Data struct {
					Result []struct {
						Metric map[string]string
						Values [][2]any
					}
				}
			}
			p.get(t, "/api/v1/query_range", url.Values{"query": {subst.Replace(tg.Expr)}, "start": {fmt.Sprint(start.Unix())},
				"end": {fmt.Sprint(end.Unix())}, "step": {"2"}}, &r)
			for _, res := range r.Data.Result {
				keys := make([]string, 0, len(res.Metric))
				for k, v := range res.Metric {
					keys = append(keys, k+"="+v)
				}
				sort.Strings(keys)
				s := series{name: strings.Join(keys, ",")}
				for _, v := range res.Values {
					ts, _ := v[0].(float64)
					f, err := strconv.ParseFloat(fmt.Sprint(v[1]), 64)
					if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
						s.pts = append(s.pts, [2]float64{ts, f})
					}
				}
				ss = append(ss, s)
			}
		}
		panels = append(panels, struct {
			title  string
			series []series
		}{pn.Title, ss})
	}
	rows := (len(panels) + cols - 1) / cols
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`, cols*w, rows*h+30)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#111217"/><text x="10" y="20" fill="#eee" font-size="15">%s: last %s, from Prometheus</text>`, html.EscapeString(d.Title), window)
	colors := []string{"#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#f2495c", "#b877d9", "#8ab8ff", "#ffb357"}
	for i, pn := range panels {
		x0, y0 := float64((i%cols)*w), float64((i/cols)*h+30)
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%d" height="%d" fill="#181b1f" stroke="#2c3235"/>`, x0+4, y0+4, w-8, h-8)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="#ccc">%s</text>`, x0+12, y0+20, html.EscapeString(pn.title))
		lo, hi := 0.0, 0.0
		for _, s := range pn.series {
			for _, pt := range s.pts {
				hi = math.Max(hi, pt[1])
				lo = math.Min(lo, pt[1])
			}
		}
		if hi == lo {
			hi = lo + 1
		}
		px := func(ts float64) float64 {
			return x0 + pad + (ts-float64(start.Unix()))/window.Seconds()*float64(w-pad-16)
		}
		py := func(v float64) float64 { return y0 + float64(h) - 50 - (v-lo)/(hi-lo)*float64(h-90) }
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="#888">%.3g</text><text x="%.0f" y="%.0f" fill="#888">%.3g</text>`,
			x0+8, py(hi)+4, hi, x0+8, py(lo)+4, lo)
		for j, s := range pn.series {
			if len(s.pts) == 0 {
				continue
			}
			var pts []string
			for _, pt := range s.pts {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(pt[0]), py(pt[1])))
			}
			c := colors[j%len(colors)]
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, c, strings.Join(pts, " "))
			if j < 4 {
				name := s.name
				if len(name) > 60 {
					name = name[:60] + "…"
				}
				fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="%s" font-size="9">%s</text>`, x0+12, y0+float64(h)-36+float64(j)*9, c, html.EscapeString(name))
			}
		}
	}
	b.WriteString(`</svg>`)
	dir := os.Getenv("TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, strings.ReplaceAll(strings.ToLower(d.Title), " ", "-")+".svg")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
