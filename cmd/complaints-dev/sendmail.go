package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"mime"
	"os"
	"strings"
	"time"

	"github.com/complaint-handling/complaints/internal/cli"
	"github.com/complaint-handling/complaints/internal/config"
	"github.com/complaint-handling/complaints/internal/inbound"
)

// sendMail delivers a test mail to the inbound listener, as the
// organisation's MTA would: a text mail made of --from, --subject and
// --body, or a whole .eml file (--file, "-" for standard input).
func sendMail(ctx context.Context, e cli.Env, args []string) error {
	to := "help@localhost"
	if sa := e.Config.Inbound.SupportAddresses; len(sa) > 0 {
		to = sa[0]
	}
	addr := e.Config.Inbound.Addr
	if !e.Config.Inbound.Enabled() {
		addr = config.DevInboundAddr
	}
	fs := flag.NewFlagSet("send-mail", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.StringVar(&addr, "addr", addr, "the listener's host:port")
	fs.StringVar(&to, "to", to, "the recipient (a support address)")
	from := fs.String("from", "customer@example.com", "the sender")
	subject := fs.String("subject", "Test complaint", "the subject")
	body := fs.String("body", "This is a test complaint sent with complaints-dev send-mail.", "the text")
	inReplyTo := fs.String("in-reply-to", "", "a Message-ID to reply to (threading headers)")
	file := fs.String("file", "", "send this .eml file as it is (- for standard input) instead")
	lmtp := fs.Bool("lmtp", e.Config.Inbound.LMTP, "speak LMTP")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var raw []byte
	var err error
	switch *file {
	case "":
		raw = []byte(textMail(*from, to, *subject, *body, *inReplyTo))
	case "-":
		raw, err = io.ReadAll(os.Stdin)
	default:
		raw, err = os.ReadFile(*file)
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := inbound.Deliver(ctx, addr, *lmtp, *from, []string{to}, raw); err != nil {
		return fmt.Errorf("send-mail to %s: %w", addr, err)
	}
	id, _ := inbound.DedupeKey(raw)
	fmt.Fprintf(e.Stdout, "accepted by %s for %s (Message-ID <%s>)\n", addr, to, id)
	return nil
}

// textMail is a UTF-8 text mail with a fresh Message-ID.
func textMail(from, to, subject, body, inReplyTo string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	var h strings.Builder
	fmt.Fprintf(&h, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <send-mail.%s@localhost>\r\n", from, to,
		mime.BEncoding.Encode("utf-8", subject), time.Now().Format(time.RFC1123Z), hex.EncodeToString(b[:]))
	if inReplyTo != "" {
		id := "<" + strings.Trim(inReplyTo, "<>") + ">"
		fmt.Fprintf(&h, "In-Reply-To: %s\r\nReferences: %s\r\n", id, id)
	}
	h.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	h.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n") + "\r\n")
	return h.String()
}
