// Command cilium-oracle judges flows with Cilium's own policy engine
// (github.com/cilium/cilium v1.20.2, pinned in go.mod): it reads JSON
// scenarios on stdin (a cluster's namespaces, pods, external addresses,
// policies and flows) and writes one JSON result per scenario on stdout.
// README.md documents the format and what is modelled.
//
// Exit codes: 0 all scenarios answered, 2 a scenario could not be read
// or names something it does not define (the message is on stderr).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2/validator"
)

func main() {
	level := flag.String("log-level", "error", "level of Cilium's own log on stderr: debug, info, warn, error")
	version := flag.Bool("version", false, "print the Cilium version the oracle is built with and exit")
	flag.Parse()
	if *version {
		fmt.Println(ciliumVersion())
		return
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(os.Stderr, "cilium-oracle: -log-level: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	if err := run(logger, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "cilium-oracle: %v\n", err)
		os.Exit(2)
	}
}

// ciliumVersion is the version of github.com/cilium/cilium linked in,
// e.g. "cilium v1.20.2".
func ciliumVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/cilium/cilium" {
				return "cilium " + d.Version
			}
		}
	}
	return "cilium (unknown version)"
}

// run answers every scenario of in, in order, one JSON line each.
func run(logger *slog.Logger, in io.Reader, out io.Writer) error {
	v, err := validator.NewNPValidator(logger)
	if err != nil {
		return fmt.Errorf("CRD schema validator: %w", err)
	}
	dec := json.NewDecoder(in)
	dec.DisallowUnknownFields()
	enc := json.NewEncoder(out)
	for i := 0; ; i++ {
		var sc Scenario
		if err := dec.Decode(&sc); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("scenario %d: %w", i, err)
		}
		res, err := Run(logger, v, &sc)
		if err != nil {
			return fmt.Errorf("scenario %d: %w", i, err)
		}
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("scenario %d: write: %w", i, err)
		}
	}
}
