package app_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser drives headless Chromium (Debian's package, installed by
// scripts/ensure-deps.sh) against the running stack. Each person gets a
// tab of their own, so each has their own session storage (staff token).
// Every console error, uncaught exception and failed resource load in any
// tab fails the test, except the failed API calls the test expects (a
// refused approval, a rejected form), each named beforehand.
type browser struct {
	t      *testing.T
	base   string
	alloc  context.Context
	root   context.Context
	shots  string
	mu     sync.Mutex
	errs   []string
	expect []string
	n      int
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		t.Fatal("no Chromium on PATH: run scripts/ensure-deps.sh (it installs Debian's chromium)")
	}
	shots := os.Getenv("TEST_ARTIFACTS")
	if shots == "" {
		shots = t.TempDir()
	}
	shots = filepath.Join(shots, "browser", t.Name())
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// The profile is removed by this cleanup, not t.TempDir's: Chromium's
	// helper processes may still write to it for a moment after the
	// browser is gone, and t.TempDir fails the test when its removal does.
	profile, err := os.MkdirTemp("", "chromium-profile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Logf("the browser profile %s was left behind", profile)
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 900), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("lang", "en-GB"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	if err := chromedp.Run(root); err != nil {
		cancelRoot()
		cancelAlloc()
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	t.Logf("screenshots in %s", shots)
	b := &browser{t: t, base: base, alloc: alloc, root: root, shots: shots}
	// Any console error in any tab fails the test, also one that came
	// after the last check.
	t.Cleanup(func() {
		if errs := b.errors(); len(errs) > 0 {
			t.Errorf("browser console errors:\n%s", strings.Join(errs, "\n"))
		}
	})
	return b
}

// tab opens a tab for one person, sized as a desktop or a phone.
func (b *browser) tab(who string, width, height int64) context.Context {
	ctx, _ := chromedp.NewContext(b.root)
	chromedp.ListenTarget(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError || e.Type == runtime.APITypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				msg = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.LevelError {
				msg = "log: " + e.Entry.Text + " " + e.Entry.URL
			}
		}
		if msg == "" {
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, want := range b.expect {
			if strings.Contains(msg, want) {
				b.expect = append(b.expect[:i], b.expect[i+1:]...)
				return
			}
		}
		b.errs = append(b.errs, who+": "+msg)
	})
	// The first Run allocates the tab and ties it to its context, so it
	// gets the tab's own context, never one with a timeout.
	if err := chromedp.Run(ctx); err != nil {
		b.t.Fatalf("open a tab: %v", err)
	}
	b.run(ctx, log.Enable(), chromedp.EmulateViewport(width, height))
	return ctx
}

// expectFailedCall names an API call that is meant to fail once (the
// browser logs a failed fetch as an error).
func (b *browser) expectFailedCall(path string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expect = append(b.expect, path)
}

func (b *browser) run(ctx context.Context, actions ...chromedp.Action) {
	b.t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	// Keys go only to the tab in front: each person's tab comes forward
	// when they act, as a person switching windows would.
	actions = append([]chromedp.Action{page.BringToFront()}, actions...)
	if err := chromedp.Run(tctx, actions...); err != nil {
		// Say where the page was and what it showed.
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		defer dcancel()
		var url, text string
		var png []byte
		_ = chromedp.Run(dctx, chromedp.Location(&url), chromedp.Evaluate(`document.body ? document.body.innerText.slice(0, 800) : ''`, &text),
			chromedp.FullScreenshot(&png, 100))
		if len(png) > 0 {
			_ = os.WriteFile(filepath.Join(b.shots, "failed.png"), png, 0o644)
		}
		b.t.Fatalf("browser: %v\nat %s showing:\n%s\n(console errors so far: %v)", err, url, text, b.errors())
	}
}

func (b *browser) errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errs...)
}

// shot saves a full-page screenshot as a test artifact.
func (b *browser) shot(ctx context.Context, name string) {
	b.t.Helper()
	var png []byte
	b.run(ctx, chromedp.FullScreenshot(&png, 100))
	b.n++
	if err := os.WriteFile(filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", b.n, name)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// until reloads the page until the JavaScript condition holds (for
// pages that follow a workflow which moves on its own).
func (b *browser) until(ctx context.Context, what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		// After each reload the page has a few seconds to draw before the
		// next: a page whose calls take longer than the polling interval
		// (a loaded machine) would otherwise be reloaded while it still
		// says "Loading…", for ever.
		settle := time.Now().Add(5 * time.Second)
		for {
			var ok bool
			b.run(ctx, chromedp.Evaluate(cond, &ok))
			if ok {
				return
			}
			if time.Now().After(deadline) {
				var page string
				b.run(ctx, chromedp.Evaluate(`document.body.innerText.slice(0, 500)`, &page))
				b.t.Fatalf("timed out waiting for %s; the page reads: %s", what, page)
			}
			if time.Now().After(settle) {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		b.run(ctx, chromedp.Reload(), chromedp.WaitReady("body"))
	}
}

// text is what the element sel shows, once it shows something.
func (b *browser) text(ctx context.Context, sel string) string {
	b.t.Helper()
	var s string
	b.run(ctx, poll(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.innerText.trim() !== ''; })()`, sel)),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).innerText.trim()`, sel), &s))
	return s
}

// The page is driven with real input events - keystrokes to the focused
// field, mouse clicks at an element's centre - and read with JavaScript.
// Elements are found by the page's own querySelector: chromedp's node
// tracking (its ByQuery waits) never returned for some fields the console
// draws inside <details> (chromedp v0.14, Chromium 156).

// poll waits up to 30 s for the JavaScript condition to hold. A page
// that navigates meanwhile (a script's location.assign) is asked again.
func poll(cond string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		deadline := time.Now().Add(30 * time.Second)
		for {
			var ok bool
			err := chromedp.Evaluate(cond, &ok).Do(ctx)
			if err == nil && ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("waited 30 s for %s (last error: %v)", cond, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// visible waits until the page shows an element matching sel.
func visible(sel string) chromedp.Action {
	return poll(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0; })()`, sel))
}

// gone waits until no element matches sel.
func gone(sel string) chromedp.Action {
	return poll(fmt.Sprintf(`!document.querySelector(%q)`, sel))
}

// keys types text into the field sel, as a person would.
func keys(sel, text string) chromedp.Action {
	return chromedp.Tasks{visible(sel),
		chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.scrollIntoView({block: 'center'}); e.focus(); })()`, sel), nil),
		chromedp.KeyEvent(text)}
}

// click clicks the middle of the element sel with the mouse. It clicks
// only once the page is still and the point hits the element (or its
// label): a layout shift between measuring and clicking (a font or style
// arriving on a busy machine) would otherwise click a neighbour.
func click(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if err := visible(sel).Do(ctx); err != nil {
			return err
		}
		js := fmt.Sprintf(`(() => {
  const e = document.querySelector(%q);
  if (!e) return null;
  e.scrollIntoView({block: 'center'});
  const r = e.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  const ok = hit && (hit === e || e.contains(hit) || (e.labels && [...e.labels].some((l) => l === hit || l.contains(hit))));
  return ok ? [x, y] : null;
})()`, sel)
		deadline := time.Now().Add(10 * time.Second)
		for {
			var at, again []float64
			if err := chromedp.Evaluate(js, &at).Do(ctx); err != nil {
				return err
			}
			time.Sleep(50 * time.Millisecond)
			if err := chromedp.Evaluate(js, &again).Do(ctx); err != nil {
				return err
			}
			if len(at) == 2 && len(again) == 2 && at[0] == again[0] && at[1] == again[1] {
				return chromedp.MouseClickXY(at[0], at[1]).Do(ctx)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s never stood still under the pointer", sel)
			}
		}
	})
}

// choose picks option value in the select sel (as the keyboard would).
func choose(sel, value string) chromedp.Action {
	return chromedp.Tasks{visible(sel), chromedp.Evaluate(fmt.Sprintf(
		`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, value), nil)}
}

func (b *browser) signIn(ctx context.Context, token string) {
	b.t.Helper()
	b.run(ctx, chromedp.Navigate(b.base+"/console/?lang=en"), visible(`#signin-form`),
		keys(`#signin-form textarea[name=token]`, token), click(`#signin-form button[type=submit]`), visible(`#inbox-body`))
}

// noHorizontalScroll checks a page fits a phone's width.
func (b *browser) noHorizontalScroll(ctx context.Context, page string) {
	b.t.Helper()
	var fits bool
	b.run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth <= window.innerWidth`, &fits))
	if !fits {
		b.t.Errorf("%s scrolls sideways on a phone-sized screen", page)
	}
}

var caseNumberRE = regexp.MustCompile(`^CMP-\d{8}-\d{6}$`)
