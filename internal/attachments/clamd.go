package attachments

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Clamd scans through a clamd daemon's INSTREAM command (zINSTREAM: the
// content in chunks, each after its length as 4 bytes big-endian, ended
// by a zero length; the answer "stream: OK" or "stream: <signature>
// FOUND", NUL-terminated).
type Clamd struct {
	// Network and Address are where clamd listens: "tcp" and host:port,
	// or "unix" and a socket path.
	Network, Address string
	// Timeout bounds one scan, connection included.
	Timeout time.Duration
}

// ParseClamdAddr reads CLAMD_ADDR: tcp://host:port, unix:///path, a
// host:port, or an absolute socket path.
func ParseClamdAddr(s string) (network, address string, err error) {
	switch {
	case strings.HasPrefix(s, "tcp://"):
		network, address = "tcp", strings.TrimPrefix(s, "tcp://")
	case strings.HasPrefix(s, "unix://"):
		network, address = "unix", strings.TrimPrefix(s, "unix://")
	case strings.HasPrefix(s, "/"):
		network, address = "unix", s
	default:
		network, address = "tcp", s
	}
	if network == "tcp" {
		if _, _, err := net.SplitHostPort(address); err != nil {
			return "", "", fmt.Errorf("must be tcp://host:port, host:port, unix:///path or /path: %w", err)
		}
	}
	if address == "" || network == "unix" && !strings.HasPrefix(address, "/") {
		return "", "", errors.New("must be tcp://host:port, host:port, unix:///path or /path")
	}
	return network, address, nil
}

// clamdChunk is the size of the chunks sent; clamd's StreamMaxLength
// (25 MB by default) bounds the whole.
const clamdChunk = 64 << 10

// Scan sends r to clamd and returns the signature found ("" when clean).
func (c Clamd) Scan(ctx context.Context, r io.Reader) (string, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, c.Network, c.Address)
	if err != nil {
		return "", fmt.Errorf("clamd: dial %s: %w", c.Address, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return "", fmt.Errorf("clamd: %w", err)
	}
	w := bufio.NewWriterSize(conn, clamdChunk+4)
	if _, err := w.WriteString("zINSTREAM\x00"); err != nil {
		return "", fmt.Errorf("clamd: send: %w", err)
	}
	buf := make([]byte, clamdChunk)
	var size [4]byte
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			binary.BigEndian.PutUint32(size[:], uint32(n))
			w.Write(size[:])
			if _, err := w.Write(buf[:n]); err != nil {
				return "", fmt.Errorf("clamd: send: %w", err)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return "", fmt.Errorf("clamd: read content: %w", rerr)
		}
	}
	binary.BigEndian.PutUint32(size[:], 0)
	w.Write(size[:])
	if err := w.Flush(); err != nil {
		return "", fmt.Errorf("clamd: send: %w", err)
	}
	reply, err := bufio.NewReader(conn).ReadString(0)
	if err != nil && !(err == io.EOF && reply != "") {
		return "", fmt.Errorf("clamd: read reply: %w", err)
	}
	return parseClamdReply(strings.TrimRight(reply, "\x00\n"))
}

// parseClamdReply reads "stream: OK", "stream: <sig> FOUND" or an error.
func parseClamdReply(reply string) (string, error) {
	body, ok := strings.CutPrefix(reply, "stream: ")
	switch {
	case ok && body == "OK":
		return "", nil
	case ok && strings.HasSuffix(body, " FOUND"):
		return strings.TrimSuffix(body, " FOUND"), nil
	}
	return "", fmt.Errorf("clamd: %q", reply)
}
