package load

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// expandDir lists the manifests of a directory (.yaml, .yml, .json; into
// subdirectories with recursive), as kubectl does, leaving out expectation
// files of "kubectl netpol test" that live beside the manifests they test.
// A file is returned as it is. Named pipes, devices and sockets in a
// directory are skipped with a warning (skipped): reading one could wait
// forever, or never end.
func expandDir(path string, recursive bool) (files, skipped []string, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("the path %q does not exist", path)
	}
	if !info.IsDir() {
		return []string{path}, nil, nil
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != path && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		mode := d.Type()
		if mode&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(p); err == nil {
				mode = fi.Mode().Type()
			}
		}
		if !mode.IsRegular() && mode&fs.ModeSymlink == 0 {
			skipped = append(skipped, fmt.Sprintf("skipping %s: %s, not a regular file", p, fileType(mode)))
			return nil
		}
		if isExpectations(p) {
			return nil
		}
		files = append(files, p)
		return nil
	})
	return files, skipped, err
}

// fileType names a file mode's type.
func fileType(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	case mode.IsDir():
		return "a directory"
	}
	return "a special file"
}

// isExpectations reports whether a file is a list of "kubectl netpol test"
// expectations rather than Kubernetes objects. Only files whose first
// content is a YAML sequence item are parsed; manifests are mappings.
func isExpectations(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil || !startsWithSequence(b) {
		return false
	}
	var items []map[string]any
	if err := yaml.Unmarshal(b, &items); err != nil || len(items) == 0 {
		return false
	}
	for _, it := range items {
		if _, ok := it["expect"]; !ok {
			return false
		}
	}
	return true
}

// startsWithSequence is true when the first line that is neither blank nor
// a comment starts a YAML sequence ("- ").
func startsWithSequence(b []byte) bool {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' || string(line) == "---" {
			continue
		}
		return line[0] == '-' && (len(line) == 1 || line[1] == ' ')
	}
	return false
}
