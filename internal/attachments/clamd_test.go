package attachments

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/complaint-handling/complaints/complaint"
)

// eicar is the EICAR anti-virus test file, which every scanner reports
// as Eicar-Test-Signature (ClamAV's name for it).
const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// fakeClamd is a receiver that speaks clamd's INSTREAM protocol as clamd
// does (zINSTREAM, length-prefixed chunks to a zero length, a
// NUL-terminated reply), with a signature database of one: EICAR. Debian's
// clamav-daemon ships no signatures and freshclam needs the internet, so
// the client is tested against this. It records the chunk sizes it got.
type fakeClamd struct {
	ln     net.Listener
	chunks chan []int
}

func startFakeClamd(t *testing.T, network, addr string) *fakeClamd {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeClamd{ln: ln, chunks: make(chan []int, 10)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	return f
}

func (f *fakeClamd) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	cmd, err := r.ReadString(0)
	if err != nil || cmd != "zINSTREAM\x00" {
		conn.Write([]byte("UNKNOWN COMMAND\x00"))
		return
	}
	var content bytes.Buffer
	var sizes []int
	for {
		var n uint32
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			return
		}
		if n == 0 {
			break
		}
		sizes = append(sizes, int(n))
		if _, err := io.CopyN(&content, r, int64(n)); err != nil {
			return
		}
	}
	f.chunks <- sizes
	if bytes.Contains(content.Bytes(), []byte(eicar)) {
		conn.Write([]byte("stream: Eicar-Test-Signature FOUND\x00"))
		return
	}
	conn.Write([]byte("stream: OK\x00"))
}

func TestClamdFindsEICAR(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = filepath.Join(t.TempDir(), "clamd.sock")
			}
			f := startFakeClamd(t, network, addr)
			c := Clamd{Network: network, Address: f.ln.Addr().String(), Timeout: 5 * time.Second}
			sig, err := c.Scan(context.Background(), bytes.NewReader([]byte(eicar)))
			if err != nil || sig != "Eicar-Test-Signature" {
				t.Fatalf("EICAR: %q, %v", sig, err)
			}
			<-f.chunks
			big := bytes.Repeat([]byte("clean "), 30000)
			sig, err = c.Scan(context.Background(), bytes.NewReader(big))
			if err != nil || sig != "" {
				t.Fatalf("clean: %q, %v", sig, err)
			}
			sizes := <-f.chunks
			total := 0
			for _, n := range sizes {
				total += n
			}
			if len(sizes) < 3 || total != len(big) {
				t.Errorf("chunks %v (total %d), want %d bytes in several", sizes, total, len(big))
			}
		})
	}
}

func TestStoreWithScanner(t *testing.T) {
	ctx := context.Background()
	f := startFakeClamd(t, "tcp", "127.0.0.1:0")
	back := &memBackend{}
	svc := NewService(back, Clamd{Network: "tcp", Address: f.ln.Addr().String()}, Limits{}, slog.New(slog.DiscardHandler))
	// A PDF carrying EICAR: of an accepted type, so only the scan stops it.
	infected := append(append([]byte{}, pdfFile...), eicar...)
	_, err := svc.Store(ctx, "c", Uploader{Kind: UploaderCustomer}, "claim.pdf", bytes.NewReader(infected))
	var ref *Refused
	if !errors.As(err, &ref) || ref.Problem.Code != complaint.CodeFileInfected {
		t.Fatalf("infected file: %v", err)
	}
	list, _ := svc.List(ctx, "c")
	if len(list) != 1 || list[0].ScanStatus != ScanInfected || back.content[list[0].ID] != nil {
		t.Errorf("the infected file's record: %+v", list)
	}
	if _, _, err := svc.Open(ctx, "c", list[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("an infected file is downloadable: %v", err)
	}
	a, err := svc.Store(ctx, "c", Uploader{Kind: UploaderCustomer}, "claim.pdf", bytes.NewReader(pdfFile))
	if err != nil || a.ScanStatus != ScanClean {
		t.Fatalf("clean file: %+v, %v", a, err)
	}
	// clamd down: refused, not stored unscanned.
	f.ln.Close()
	if _, err := svc.Store(ctx, "c", Uploader{Kind: UploaderCustomer}, "claim.pdf", bytes.NewReader(pdfFile)); !errors.Is(err, ErrScanUnavailable) {
		t.Errorf("clamd down: %v", err)
	}
	if list, _ := svc.List(ctx, "c"); len(list) != 2 {
		t.Errorf("%d records, want 2", len(list))
	}
}

func TestParseClamdAddr(t *testing.T) {
	for _, c := range []struct{ in, network, addr string }{
		{"tcp://clamd:3310", "tcp", "clamd:3310"},
		{"127.0.0.1:3310", "tcp", "127.0.0.1:3310"},
		{"unix:///run/clamav/clamd.ctl", "unix", "/run/clamav/clamd.ctl"},
		{"/run/clamav/clamd.ctl", "unix", "/run/clamav/clamd.ctl"},
		{"clamd", "", ""},
		{"unix://relative", "", ""},
	} {
		n, a, err := ParseClamdAddr(c.in)
		if n != c.network || a != c.addr || (err != nil) != (c.network == "") {
			t.Errorf("ParseClamdAddr(%q) = %q, %q, %v", c.in, n, a, err)
		}
	}
}
