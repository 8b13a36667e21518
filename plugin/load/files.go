package load

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// input is a file to read, or standard input, read already.
type input struct {
	name string
	data []byte
}

// expand lists the files of the source's paths, each file once however
// many paths name it (-f a.yaml -f a.yaml, -f dir -f dir/a.yaml), and
// which of them each path names (perPath, by index in src.Filenames).
// Warnings about files skipped go to warn.
func expand(src Source, warn io.Writer) (inputs []input, perPath [][]int, err error) {
	byPath := map[string]int{}
	perPath = make([][]int, len(src.Filenames))
	for p, f := range src.Filenames {
		if f == "-" {
			if i, ok := byPath[f]; ok {
				perPath[p] = append(perPath[p], i)
				continue
			}
			if src.Stdin == nil {
				return nil, nil, fmt.Errorf("-f -: no standard input")
			}
			b, err := io.ReadAll(src.Stdin)
			if err != nil {
				return nil, nil, fmt.Errorf("read standard input: %w", err)
			}
			byPath[f] = len(inputs)
			perPath[p] = append(perPath[p], len(inputs))
			inputs = append(inputs, input{"STDIN", b})
			continue
		}
		files, skipped, err := expandDir(f, src.Recursive)
		if err != nil {
			return nil, nil, err
		}
		for _, w := range skipped {
			fmt.Fprintf(warn, "Warning: %s\n", w)
		}
		for _, name := range files {
			key := name
			if abs, err := filepath.Abs(name); err == nil {
				key = abs
			}
			i, ok := byPath[key]
			if !ok {
				i = len(inputs)
				byPath[key] = i
				inputs = append(inputs, input{name: name})
			}
			perPath[p] = append(perPath[p], i)
		}
	}
	return inputs, perPath, nil
}

// noObjects is the error for a path nothing was read from: a mistake
// (an empty file, the wrong directory) that would otherwise give answers
// about a cluster without the objects meant, as kubectl's "no objects
// passed to apply" tells. noFiles is true for a directory without
// manifests (looked for in subdirectories too when recursive).
func noObjects(path string, noFiles, recursive bool) error {
	switch {
	case path == "-":
		return fmt.Errorf("no objects read from standard input")
	case noFiles && recursive:
		return fmt.Errorf("no objects read from %q: the directory and its subdirectories hold no .yaml, .yml or .json files", path)
	case noFiles:
		return fmt.Errorf("no objects read from %q: the directory holds no .yaml, .yml or .json files (-R reads its subdirectories)", path)
	}
	return fmt.Errorf("no objects read from %q", path)
}

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
