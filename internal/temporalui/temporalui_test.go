package temporalui

import "testing"

// TestURLFor names a loopback or unspecified listen address localhost, the
// host the API's links use, so the UI and the codec endpoint are one site
// for the browser and the codec cookie travels.
func TestURLFor(t *testing.T) {
	for _, c := range []struct{ addr, want string }{
		{"127.0.0.1:8233", "http://localhost:8233"},
		{":8233", "http://localhost:8233"},
		{"0.0.0.0:8233", "http://localhost:8233"},
		{"[::1]:8233", "http://localhost:8233"},
		{"ui.internal:8233", "http://ui.internal:8233"},
		{"127.0.0.1:0", ""},
		{"no port", ""},
	} {
		t.Run(c.addr, func(t *testing.T) {
			if got := URLFor(c.addr); got != c.want {
				t.Errorf("URLFor(%q) = %q, want %q", c.addr, got, c.want)
			}
		})
	}
}
