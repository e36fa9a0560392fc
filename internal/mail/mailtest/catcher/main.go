// Command catcher is the development mail catcher (`make mail-catcher`):
// an SMTP server on loopback that accepts every message, prints each one
// (recipient, subject, text) and lists them, newest first, on a web page.
// Point the system at it with SMTP_URL=smtp://127.0.0.1:1025.
package main

import (
	"context"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/complaint-handling/complaints/internal/mail/mailtest"
)

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Mail catcher</title><meta http-equiv="refresh" content="5"></head>
<body style="font-family:sans-serif;max-width:60em">
<h1>Mail catcher: {{len .}} message(s)</h1>
{{range .}}<article style="border-top:1px solid #ccc;padding:.5em 0">
<p><strong>{{.Subject}}</strong><br>to {{.To}} · {{.MessageID}}</p>
<pre style="white-space:pre-wrap">{{.Text}}</pre>
</article>{{end}}
</body></html>
`))

func main() {
	smtpAddr := flag.String("smtp", "127.0.0.1:1025", "SMTP listen address")
	httpAddr := flag.String("http", "127.0.0.1:8025", "web page listen address")
	flag.Parse()
	if err := run(*smtpAddr, *httpAddr); err != nil {
		log.Fatal(err)
	}
}

func run(smtpAddr, httpAddr string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, closeSMTP, err := mailtest.Serve(smtpAddr, mailtest.Options{OnMessage: func(m mailtest.Message) {
		fmt.Printf("--- %s\nto: %s\nsubject: %s\n\n%s\n", time.Now().Format(time.TimeOnly), m.To, m.Subject, m.Text)
	}})
	if err != nil {
		return err
	}
	defer closeSMTP()
	h := &http.Server{Addr: httpAddr, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		msgs := srv.Messages()
		slices.Reverse(msgs)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, msgs)
	})}
	go func() {
		if err := h.ListenAndServe(); err != nil && err != http.ErrServerClosed {
			log.Print(err)
		}
	}()
	fmt.Printf("mail catcher: SMTP_URL=smtp://%s, messages at http://%s/\n", srv.Addr, httpAddr)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return h.Shutdown(sctx)
}
