package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/dispatchd/dispatchd/dispatch"
	"github.com/dispatchd/dispatchd/model"
	"github.com/dispatchd/dispatchd/report"
	"github.com/dispatchd/dispatchd/scenario"
)

// chromium finds the browser: $DISPATCHD_CHROMIUM, else chromium on the
// PATH (Debian's chromium package, which make test installs). The test
// installs nothing; without a browser it fails, naming what it looked for.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("DISPATCHD_CHROMIUM"); p != "" {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			t.Fatalf("DISPATCHD_CHROMIUM=%s is not an executable file (%v): point it at a Chromium binary, or unset it to use chromium from the PATH", p, err)
		}
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the report's browser test needs a headless Chromium and found no `chromium` on the PATH (%v): "+
			"install Debian's chromium package (apt-get install chromium; `make test` does), or set DISPATCHD_CHROMIUM to a Chromium binary", err)
	}
	return p
}

// browser starts a headless Chromium that reaches no network: the flags
// that keep it from calling home, and a proxy and host rules that make
// any request for another host fail at once. The test's own checks see
// every request all the same.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // as root, Chromium's sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("proxy-server", "127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The browser lives as long as the context of its first run, so that
	// context has no deadline of its own; a start that hangs is cut here.
	start := time.Now()
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting %s: %v", bin, err)
		}
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("%s did not start within 30 s", bin)
	}
	t.Logf("started %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return ctx
}

// watch records what a page does that it must not: every request for
// anything but the page itself (each is also failed, so nothing leaves),
// and every console error, warning and uncaught exception.
type watch struct {
	mu       sync.Mutex
	page     string
	requests []string // every URL the page asked for, the page too
	foreign  []string // those that are not the page
	console  []string
}

func watchPage(t *testing.T, ctx context.Context, page string) *watch {
	t.Helper()
	w := &watch{page: page}
	// Subscribe before the navigation, so that nothing is missed.
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	sent := chromedp.Events(ctx, network.RequestWillBeSent)
	console := chromedp.Console(ctx)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}); err != nil {
		t.Fatalf("intercepting the page's requests: %v", err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			if ev.Request.URL == w.page {
				_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			w.add(&w.foreign, ev.Request.URL)
			_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		}
	}()
	go func() {
		for ev, err := range sent {
			if err != nil {
				return
			}
			w.add(&w.requests, ev.Request.URL)
			if ev.Request.URL != w.page {
				w.add(&w.foreign, ev.Request.URL)
			}
		}
	}()
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning {
				w.add(&w.console, fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
			}
		}
	}()
	return w
}

func (w *watch) add(to *[]string, s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	*to = append(*to, s)
}

func (w *watch) snapshot() (requests, foreign, console []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.requests...), append([]string(nil), w.foreign...), append([]string(nil), w.console...)
}

// open navigates to the page, waits for it to load and gives the
// browser a moment to report what the load did.
func open(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Navigate(page), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
		t.Fatalf("opening %s: %v", page, err)
	}
	// Console and network events of the load travel on the same
	// connection as the answers; a round trip after them flushes them.
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[int](`1`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
}

// comparison runs a real compare of a generated day under three
// policies, with a sweep of the default's travel weight, and makes its
// report as dispatchd compare --html does: the same on every run (seeded,
// with an iteration budget).
func comparison(t *testing.T) (report.Comparison, *model.Problem) {
	t.Helper()
	p, err := scenario.GenerateDay(scenario.DayOptions{Orders: 36, Technicians: 8, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	def := model.DefaultPolicy()
	short := model.Policy{Name: "short-drives", Description: "an hour on the road costs four: keep technicians close to home", Weights: model.DefaultWeights()}
	short.Weights.TravelTime = 4
	even := model.Policy{Name: "even-days", Description: "spread the work: every minute of imbalance costs as much as five of driving", Weights: model.DefaultWeights()}
	even.Weights.WorkloadBalance = 5
	sweep := &dispatch.Sweep{Base: def, Weight: "travel_time", Values: []float64{0.5, 1, 2, 4, 8}}
	const iterations = 300
	cmp, err := dispatch.Compare(context.Background(), p, []model.Policy{def, short, even}, sweep,
		dispatch.CompareOptions{Iterations: iterations, Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	c, err := report.FromCompare(cmp, p)
	if err != nil {
		t.Fatal(err)
	}
	c.Title = "Policies on 2026-11-23"
	c.Subtitle = fmt.Sprintf("A generated day in Denver: %d orders, %d technicians · each plan: seed 1, %d iterations", len(p.WorkOrders), len(p.Technicians), iterations)
	return c, p
}

// TestReportInChromium opens the report of a real comparison in headless
// Chromium from a file, with no network: the charts and maps must be
// drawn, nothing fetched, nothing on the console. It saves a screenshot
// of the whole page in the test's artifact directory (go test -artifacts
// keeps it).
func TestReportInChromium(t *testing.T) {
	ctx := browser(t)
	c, _ := comparison(t)
	dir := t.ArtifactDir()
	path := filepath.Join(dir, "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Write(f, c); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	page := (&url.URL{Scheme: "file", Path: path}).String()
	w := watchPage(t, ctx, page)
	open(t, ctx, page)

	type chart struct {
		KPI    string  `json:"kpi"`
		Label  string  `json:"label"`
		Bars   int     `json:"bars"`
		Drawn  int     `json:"drawn"` // bars with a height, for values above zero
		Lines  int     `json:"lines"`
		Points int     `json:"points"`
		Length float64 `json:"length"`
		Width  float64 `json:"width"`
	}
	type routeMap struct {
		Policy     string  `json:"policy"`
		Routes     int     `json:"routes"`
		Drawn      int     `json:"drawn"` // routes with a length
		Stops      int     `json:"stops"`
		Depots     int     `json:"depots"`
		Unassigned int     `json:"unassigned"`
		Legend     int     `json:"legend"`
		Inside     bool    `json:"inside"` // every mark within the map
		Width      float64 `json:"width"`
	}
	var dom struct {
		Title        string     `json:"title"`
		KPICharts    []chart    `json:"kpiCharts"`
		SweepCharts  []chart    `json:"sweepCharts"`
		Maps         []routeMap `json:"maps"`
		KPIRows      int        `json:"kpiRows"`
		MatrixRows   int        `json:"matrixRows"`
		MatrixCols   int        `json:"matrixCols"`
		Unassigned   int        `json:"unassigned"`
		LeftOut      int        `json:"leftOut"`
		Scripts      int        `json:"scripts"`
		ScrollWidth  float64    `json:"scrollWidth"`
		ClientWidth  float64    `json:"clientWidth"`
		ScrollHeight float64    `json:"scrollHeight"`
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`(() => {
		const all = (root, s) => Array.from(root.querySelectorAll(s));
		const label = (svg) => svg.getAttribute('aria-labelledby').split(' ').map(id => document.getElementById(id)?.textContent || '').join(' ');
		const chart = (svg) => ({
			kpi: svg.dataset.kpi, label: label(svg),
			bars: all(svg, 'rect.bar').length,
			drawn: all(svg, 'rect.bar').filter(r => r.getBBox().height > 0).length,
			lines: all(svg, 'path.sweep-line').length,
			points: all(svg, 'circle.sweep-point').length,
			length: all(svg, 'path.sweep-line').reduce((n, p) => n + p.getTotalLength(), 0),
			width: svg.getBoundingClientRect().width,
		});
		const map = (svg) => {
			const box = svg.viewBox.baseVal;
			const marks = all(svg, 'circle.stop, rect.depot, path.unassigned, path.route').map(e => e.getBBox());
			return {
				policy: svg.dataset.policy,
				routes: all(svg, 'path.route').length,
				drawn: all(svg, 'path.route').filter(p => p.getTotalLength() > 0).length,
				stops: all(svg, 'circle.stop').length,
				depots: all(svg, 'rect.depot').length,
				unassigned: all(svg, 'path.unassigned').length,
				legend: all(svg.closest('figure'), 'ul.legend:not(.key) li').length,
				inside: marks.every(b => b.x >= 0 && b.y >= 0 && b.x + b.width <= box.width && b.y + b.height <= box.height),
				width: svg.getBoundingClientRect().width,
			};
		};
		return JSON.stringify({
			title: document.title,
			kpiCharts: all(document, 'svg.kpi-chart').map(chart),
			sweepCharts: all(document, 'svg.sweep-chart').map(chart),
			maps: all(document, 'svg.route-map').map(map),
			kpiRows: all(document, '#kpi-table tbody tr').length,
			matrixRows: all(document, '#objective-matrix tbody tr').length,
			matrixCols: all(document, '#objective-matrix thead th').length - 1,
			unassigned: all(document, '#unassigned-table tbody tr').length,
			leftOut: all(document, '#unassigned-table td.mark span.out').length,
			scripts: all(document, 'script').length,
			scrollWidth: document.documentElement.scrollWidth,
			clientWidth: document.documentElement.clientWidth,
			scrollHeight: document.documentElement.scrollHeight,
		});
	})()`))
	if err != nil {
		t.Fatalf("reading the page's DOM: %v", err)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(s), &dom); err != nil {
		t.Fatal(err)
	}

	if dom.Title != c.Title {
		t.Errorf("title %q, want %q", dom.Title, c.Title)
	}
	// Only the figures that differ between policies are drawn.
	var varying []report.KPIRow
	for _, k := range c.KPIs {
		if k.Varies() {
			varying = append(varying, k)
		}
	}
	if len(varying) == 0 || len(varying) == len(c.KPIs) {
		t.Fatalf("%d of %d KPI rows vary: the test day should have both kinds", len(varying), len(c.KPIs))
	}
	if got, want := len(dom.KPICharts), len(varying); got != want {
		t.Errorf("%d KPI charts, want %d", got, want)
	}
	for i, ch := range dom.KPICharts {
		if i >= len(varying) {
			break
		}
		k := varying[i]
		positive := 0
		for _, v := range k.Values {
			if v > 0 {
				positive++
			}
		}
		if ch.KPI != k.Name || ch.Bars != len(c.Policies) || ch.Drawn != positive || ch.Width < 200 || !strings.HasPrefix(ch.Label, k.Name) {
			t.Errorf("KPI chart %d: %+v, want %q with %d bars, %d of them drawn, labelled, at least 200 px wide", i, ch, k.Name, len(c.Policies), positive)
		}
	}
	sw := c.Sweeps[0]
	moved := 0
	for _, k := range sw.KPIs {
		if k.Varies() {
			moved++
		}
	}
	if got, want := len(dom.SweepCharts), moved; got != want {
		t.Errorf("%d sweep charts, want %d", got, want)
	}
	for i, ch := range dom.SweepCharts {
		if ch.Lines != 1 || ch.Points != len(sw.Values) || ch.Length <= 0 || ch.Width < 200 || ch.Label == "" {
			t.Errorf("sweep chart %d (%s): %+v, want one drawn line through %d points, labelled", i, ch.KPI, ch, len(sw.Values))
		}
	}
	if got, want := len(dom.Maps), len(c.Maps); got != want {
		t.Fatalf("%d maps, want %d", got, want)
	}
	for i, m := range dom.Maps {
		want := c.Maps[i]
		stops := 0
		techs := map[string]bool{}
		for _, r := range want.Routes {
			stops += len(r.Stops)
			techs[r.TechnicianID] = true
		}
		for _, d := range want.Depots {
			techs[d.TechnicianID] = true
		}
		if m.Policy != want.Policy || m.Routes != len(want.Routes) || m.Drawn != m.Routes || m.Stops != stops ||
			m.Depots != len(want.Depots) || m.Unassigned != len(want.Unassigned) || m.Legend != len(techs) || !m.Inside || m.Width < 400 {
			t.Errorf("map %d: %+v, want %s with %d routes drawn, %d stops, %d depots, %d unassigned, %d technicians in the legend, all inside, at least 400 px wide",
				i, m, want.Policy, len(want.Routes), stops, len(want.Depots), len(want.Unassigned), len(techs))
		}
	}
	orders := map[string]bool{}
	for _, u := range c.Unassigned {
		orders[u.WorkOrderID] = true
	}
	if dom.KPIRows != len(c.KPIs) || dom.MatrixRows != len(c.Policies) || dom.MatrixCols != len(c.Policies) ||
		dom.Unassigned != len(orders) || dom.LeftOut != len(c.Unassigned) {
		t.Errorf("tables: %d KPI rows, a %d×%d matrix, %d unassigned orders marked %d times; want %d, %d×%d, %d marked %d times",
			dom.KPIRows, dom.MatrixRows, dom.MatrixCols, dom.Unassigned, dom.LeftOut,
			len(c.KPIs), len(c.Policies), len(c.Policies), len(orders), len(c.Unassigned))
	}
	if len(c.Unassigned) == 0 {
		t.Error("the comparison leaves no order out, so the test does not see the unassigned orders drawn: make the day tighter")
	}
	if dom.Scripts != 0 {
		t.Errorf("%d scripts on a page that should have none", dom.Scripts)
	}
	if dom.ScrollWidth > dom.ClientWidth {
		t.Errorf("the page is %v px wide in a %v px window: something overflows", dom.ScrollWidth, dom.ClientWidth)
	}

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("taking a screenshot: %v", err)
	}
	shot := filepath.Join(dir, "report.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("the page: %s (%d KB); its screenshot: %s (%v px high)", path, fileKB(t, path), shot, dom.ScrollHeight)

	requests, foreign, console := w.snapshot()
	if len(foreign) > 0 {
		t.Errorf("the page asked for %d things besides itself (all refused): %s", len(foreign), strings.Join(foreign, ", "))
	}
	if len(requests) > 1 {
		t.Errorf("%d requests, want the page's alone: %s", len(requests), strings.Join(requests, ", "))
	}
	if len(console) > 0 {
		t.Errorf("the console has %d errors or warnings:\n%s", len(console), strings.Join(console, "\n"))
	}
}

// TestBrowserWatchSees proves the watch is not blind: a page that fetches
// an image and throws has both seen, and the fetch goes nowhere.
func TestBrowserWatchSees(t *testing.T) {
	ctx := browser(t)
	path := filepath.Join(t.TempDir(), "bad.html")
	bad := `<!DOCTYPE html><title>bad</title><img src="http://tiles.invalid/1/2/3.png" alt=""><p>x</p>` +
		`<script>console.error("drawn wrong"); throw new Error("boom")</script>`
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	page := (&url.URL{Scheme: "file", Path: path}).String()
	w := watchPage(t, ctx, page)
	open(t, ctx, page)
	var requests, foreign, console []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if requests, foreign, console = w.snapshot(); len(foreign) > 0 && len(console) >= 2 {
			break
		}
	}
	if len(foreign) == 0 || !strings.Contains(strings.Join(foreign, " "), "tiles.invalid") {
		t.Errorf("the image fetch went unseen: requests %v, foreign %v", requests, foreign)
	}
	all := strings.Join(console, "\n")
	if !strings.Contains(all, "drawn wrong") || !strings.Contains(all, "boom") {
		t.Errorf("the console error and the exception went unseen: %q", all)
	}
}

func fileKB(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size() / 1024
}
