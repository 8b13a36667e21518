package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxObjectBytes is the size of the largest object read, as JSON: 3 MiB,
// kube-apiserver's limit on a request body (no object larger can be
// created; etcd's own limit is lower still). A larger document is a
// mistake, or input that is not manifests (-f /dev/zero).
const MaxObjectBytes = 3 << 20

// MaxInputBytes is the most read from one file or standard input: 1 GiB,
// a generous multiple of MaxObjectBytes for the many objects a file holds
// (a cluster dump of 100,000 pods as JSON is a few hundred MiB). Reading
// stops there: an input that never ends (-f /dev/zero, an endless pipe)
// is an error, not a memory that grows without limit.
const MaxInputBytes = 1 << 30

// maxInputBytes is MaxInputBytes, lowered by tests.
var maxInputBytes int64 = MaxInputBytes

// readInput reads r, the input name, up to maxInputBytes; sizeHint is its
// size when known.
func readInput(name string, r io.Reader, sizeHint int64) ([]byte, error) {
	if sizeHint > maxInputBytes {
		return nil, inputTooLarge(name)
	}
	buf := bytes.NewBuffer(make([]byte, 0, max(sizeHint, 0)+bytes.MinRead))
	if _, err := buf.ReadFrom(&textReader{r: io.LimitReader(r, maxInputBytes+1)}); err != nil {
		var nul errNUL
		if errors.As(err, &nul) {
			return nil, fmt.Errorf("%s is not a manifest: it holds a NUL byte (at byte %d), which YAML and JSON text never do", name, int64(nul))
		}
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(buf.Len()) > maxInputBytes {
		return nil, inputTooLarge(name)
	}
	return buf.Bytes(), nil
}

// textReader stops at the first NUL byte: YAML and JSON are text without
// one, so a binary file or a device like /dev/zero is refused at once
// rather than read up to the limit.
type textReader struct {
	r   io.Reader
	off int64
}

// errNUL is the offset of a NUL byte.
type errNUL int64

func (e errNUL) Error() string { return fmt.Sprintf("NUL byte at %d", int64(e)) }

func (t *textReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if i := bytes.IndexByte(p[:n], 0); i >= 0 {
		return i, errNUL(t.off + int64(i))
	}
	t.off += int64(n)
	return n, err
}

// readFile reads a file (or named pipe, or device) up to maxInputBytes.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	var size int64
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
		size = info.Size()
	}
	return readInput(name, f, size)
}

func inputTooLarge(name string) error {
	return fmt.Errorf("%s is larger than %s, the most kubectl netpol reads from one file or standard input", name, byteSize(maxInputBytes))
}

// objectTooLarge is the error for an object larger than MaxObjectBytes;
// item is its index (from 1) in the list holding it, 0 for a document.
type objectTooLarge struct{ item int }

func (e *objectTooLarge) Error() string {
	return fmt.Sprintf("larger than the API server accepts (%s)", byteSize(MaxObjectBytes))
}

// documentError is err, of document doc (from 1) of the file name, with
// the file named.
func documentError(name string, doc int, err error) error {
	var big *objectTooLarge
	switch {
	case errors.As(err, &big) && big.item > 0:
		return fmt.Errorf("item %d of document %d of %s is %w", big.item, doc, name, big)
	case errors.As(err, &big):
		return fmt.Errorf("document %d of %s is %w", doc, name, big)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// byteSize writes a size in whole MiB or GiB, as the limits are.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
