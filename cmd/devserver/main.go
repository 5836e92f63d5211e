// Command devserver runs the embedded Temporal server and its Web UI alone, without a worker: for
// running workers separately, and for test binaries (testsuite starts one per `go test` run
// unless TEMPORAL_ADDRESS names a server). It prints TEMPORAL_ADDRESS=host:port on stdout once the
// server accepts calls.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/tasker-systems/tasker-temporal/devserver"
	"github.com/tasker-systems/tasker-temporal/internal/config"
)

func main() {
	var opts devserver.Options
	flag.IntVar(&opts.Port, "port", devserver.DefaultPort, "frontend port (-1 = any free port)")
	flag.IntVar(&opts.UIPort, "ui-port", devserver.DefaultUIPort, "Web UI port (-1 = any free port)")
	flag.BoolVar(&opts.NoUI, "no-ui", false, "do not start the Web UI")
	flag.StringVar(&opts.DBFile, "db-file", "", "keep state in this SQLite file (default: in memory)")
	flag.StringVar(&opts.Namespace, "namespace", "default", "namespace to create")
	flag.BoolVar(&opts.Stock, "stock", false, "Temporal's default dynamic config instead of the low-latency one (benchmark baseline)")
	logFormat := flag.String("log-format", "", "console or json")
	flag.Parse()

	logger, err := config.Logger(*logFormat, "warn")
	if err != nil {
		fail(err)
	}
	opts.Logger = logger
	srv, err := devserver.Start(opts)
	if err != nil {
		fail(err)
	}
	fmt.Printf("TEMPORAL_ADDRESS=%s\n", srv.Address())
	if srv.UIURL() != "" {
		fmt.Printf("TEMPORAL_UI=%s\n", srv.UIURL())
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	srv.Stop()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "devserver:", err)
	os.Exit(1)
}
