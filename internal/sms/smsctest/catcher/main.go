// Command catcher is the development SMS catcher
// (`go run ./internal/sms/smsctest/catcher`): the tests' SMS centre on
// loopback, binding system id "dev" with password "dev", delivering every
// text (receipt DELIVRD) and printing each one. Point the system at it
// with SMS_URL=smpp://dev:dev@127.0.0.1:2775 SMS_FROM=10690000.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os/signal"
	"syscall"
	"time"

	"github.com/complaint-handling/complaints/internal/sms/smsctest"
)

func main() {
	addr := flag.String("smpp", "127.0.0.1:2775", "SMPP listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv, err := smsctest.Start(*addr, "dev", "dev")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	srv.OnMessage = func(m smsctest.Message) {
		coding := "GSM-7"
		if m.DataCoding == 8 {
			coding = "UCS-2"
		}
		fmt.Printf("%s  to %s from %s (%s, %d part(s))\n  %s\n\n", time.Now().Format("15:04:05"), m.To, m.From, coding, m.Parts, m.Text)
	}
	fmt.Printf("SMS catcher on smpp://dev:dev@%s; start the system with SMS_URL=smpp://dev:dev@%s SMS_FROM=10690000\n", srv.Addr(), srv.Addr())
	<-ctx.Done()
}
