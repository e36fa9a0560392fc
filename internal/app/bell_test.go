package app_test

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBellInTheConsole signs an agent in to the console with two cases
// assigned to them: the bell shows the unread count; opening a
// notification from its list goes to the case's page, where the count is
// one less.
func TestBellInTheConsole(t *testing.T) {
	s := startStack(t)
	ann := s.token("ag-bell", "agent", "billing")
	sup := s.token("sup-bell", "supervisor", "billing")
	s.must(200, "GET", "/v1/me", ann, nil, nil)
	for i, order := range []string{"ORD-BELL-1", "ORD-BELL-2"} {
		id := s.file("cust-bell-"+strconv.Itoa(i), order, nil)
		s.must(200, "POST", "/v1/complaints/"+id+"/assign", sup, map[string]any{"assignee": "ag-bell"}, nil)
	}
	var mine myNotifications
	eventually(t, "two unread notifications", func() bool {
		s.must(200, "GET", "/v1/me/notifications", ann, nil, &mine)
		return mine.Unread >= 2
	})
	unread := mine.Unread
	newest := mine.Notifications[0]

	b := newBrowser(t, s.base)
	tab := b.tab("agent", 1280, 900)
	b.signIn(tab, ann)
	if got := b.text(tab, `#bell-count`); got != strconv.Itoa(unread) {
		t.Fatalf("the bell shows %q, want %d", got, unread)
	}
	b.run(tab, click(`#bell`), visible(`#bell-list li.unread .bell-item`))
	b.shot(tab, "bell-open")
	var first string
	b.run(tab, chromedp.Evaluate(`document.querySelector('#bell-list li.unread .bell-item').dataset.id`, &first))
	if first != strconv.FormatInt(newest.ID, 10) {
		t.Errorf("the list starts with %s, want the newest %d", first, newest.ID)
	}
	b.run(tab, click(`#bell-list li.unread .bell-item`),
		poll(`location.pathname === `+strconv.Quote(newest.Link)),
		poll(`(() => { const e = document.querySelector('#bell-count'); return !!e && e.textContent === `+strconv.Quote(strconv.Itoa(unread-1))+`; })()`))
	b.shot(tab, "bell-after-opening")
	s.must(200, "GET", "/v1/me/notifications", ann, nil, &mine)
	if mine.Unread != unread-1 || !mine.Notifications[0].Read {
		t.Errorf("after opening one: unread %d, newest read %v", mine.Unread, mine.Notifications[0].Read)
	}
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("browser errors: %v", errs)
	}
}
