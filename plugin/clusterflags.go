package plugin

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// defaultRequestTimeout bounds every request to the cluster when the user
// gave no --request-timeout. kubectl waits forever by default; a CI gate
// behind a proxy that accepts and never answers must fail (exit 2), not
// hang the pipeline until its own timeout.
const defaultRequestTimeout = "30s"

// requestTimeoutUsage replaces the help of kubectl's --request-timeout,
// whose default here differs.
const requestTimeoutUsage = "Give up on a single request to the cluster after this long (e.g. 1s, 2m): a server or proxy that does not answer fails the command (exit 2) instead of hanging it. 0 waits forever, as kubectl does by default"

// defaultTimeout sets the request timeout of config flags nobody set one on
// (kubectl's default, "0") to defaultRequestTimeout, before the flags are
// added, so that --help shows it and an explicit --request-timeout=0 still
// means no timeout.
func defaultTimeout(cf *genericclioptions.ConfigFlags) {
	if t := cf.Timeout; t != nil && (*t == "" || *t == "0") {
		*t = defaultRequestTimeout
	}
}

// describeRequestTimeout sets the help of --request-timeout, once the
// config flags are added to fs.
func describeRequestTimeout(fs *pflag.FlagSet) {
	if f := fs.Lookup("request-timeout"); f != nil {
		f.Usage = requestTimeoutUsage
	}
}

// withTimeoutHint adds which flag bounds the wait to an error caused by a
// request that timed out.
func withTimeoutHint(err error, cf *genericclioptions.ConfigFlags) error {
	var ne net.Error
	if err == nil || cf.Timeout == nil || !errors.As(err, &ne) || !ne.Timeout() {
		return err
	}
	return fmt.Errorf("%w (no answer within --request-timeout %s)", err, *cf.Timeout)
}

// chunkSize is --chunk-size as kubectl has it: a page size, 0 for lists in
// one request; negative sizes are flag errors.
type chunkSize int64

func (c *chunkSize) String() string { return strconv.FormatInt(int64(*c), 10) }

func (c *chunkSize) Type() string { return "int" }

func (c *chunkSize) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not a whole number")
	}
	if n < 0 {
		return fmt.Errorf("must be 0 (no chunks) or a page size")
	}
	*c = chunkSize(n)
	return nil
}
