package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// input is a file to read, or standard input, read already. inDir is
// true when every path that names it is a directory it is in.
type input struct {
	name  string
	data  []byte
	inDir bool
}

// expand lists the files of the source's paths (and reads standard
// input), each file once however many paths name it (-f a.yaml -f a.yaml,
// -f dir -f dir/a.yaml), and which of them each path names (perPath, by
// index in src.Filenames). Warnings about files skipped go to warn.
func expand(src Source, warn io.Writer) (inputs []input, perPath [][]int, err error) {
	byPath := map[string]int{}
	perPath = make([][]int, len(src.Filenames))
	for p, f := range src.Filenames {
		if f == "" {
			return nil, nil, fmt.Errorf(`an empty path: give a file, a directory or "-" (is a variable unset?)`)
		}
		if f == "-" {
			if i, ok := byPath[f]; ok {
				perPath[p] = append(perPath[p], i)
				continue
			}
			if src.Stdin == nil {
				return nil, nil, fmt.Errorf("-f -: no standard input")
			}
			b, err := readInput("standard input", src.Stdin, 0)
			if err != nil {
				return nil, nil, err
			}
			byPath[f] = len(inputs)
			perPath[p] = append(perPath[p], len(inputs))
			inputs = append(inputs, input{name: "STDIN", data: b})
			continue
		}
		if IsURL(f) {
			if i, ok := byPath[f]; ok {
				perPath[p] = append(perPath[p], i)
				continue
			}
			b, err := readURL(f)
			if err != nil {
				return nil, nil, err
			}
			byPath[f] = len(inputs)
			perPath[p] = append(perPath[p], len(inputs))
			inputs = append(inputs, input{name: f, data: b})
			continue
		}
		files, skipped, err := expandDir(f, src.Recursive)
		if err != nil {
			return nil, nil, err
		}
		for _, w := range skipped {
			fmt.Fprintf(warn, "Warning: %s\n", w)
		}
		for _, file := range files {
			i, ok := byPath[file.key]
			if !ok {
				i = len(inputs)
				byPath[file.key] = i
				inputs = append(inputs, input{name: file.name, inDir: true})
			}
			inputs[i].inDir = inputs[i].inDir && file.inDir
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

// expandDir lists the manifests of a path: a file as it is, or the files
// of a directory (.yaml, .yml, .json; into subdirectories with recursive),
// as kubectl does. Symbolic links are followed: a
// path that is a link to a directory is that directory, and links in one
// are what they link to (a link to a directory it is in is skipped with a
// warning). Named pipes, devices and sockets in a directory are skipped
// with a warning (skipped): reading one could wait forever, or never end.
// Each file comes with a key that is the same for every path to it.
func expandDir(path string, recursive bool) (files []found, skipped []string, err error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("the path %q does not exist", path)
	}
	if err != nil {
		return nil, nil, err
	}
	if !info.IsDir() {
		if err := renderedFile(path); err != nil {
			return nil, nil, err
		}
		return []found{{path, realPath(path), false}}, nil, nil
	}
	if err := renderedDir(path); err != nil {
		return nil, nil, err
	}
	w := walker{recursive: recursive}
	if err := w.dir(path, realPath(path), []fs.FileInfo{info}); err != nil {
		return nil, nil, err
	}
	return w.files, w.skipped, nil
}

// found is a file to read, and the key that is the same for every path to
// it: its absolute path, links resolved. inDir is true for a file found in
// a directory, which is left out when it holds "kubectl netpol test"
// expectations (they live beside the manifests they test).
type found struct {
	name, key string
	inDir     bool
}

// realPath is the absolute path of a file, links resolved; as much of it
// as can be when that fails.
func realPath(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		path = r
	}
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// walker lists the manifests of a directory tree in lexical order, as
// filepath.WalkDir does, but following symbolic links.
type walker struct {
	recursive bool
	files     []found
	skipped   []string
}

// dir lists the directory path, whose real path is real, below the
// directories ancestors (itself last).
func (w *walker) dir(path, real string, ancestors []fs.FileInfo) error {
	entries, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(path, e.Name())
		key := filepath.Join(real, e.Name())
		mode := e.Type()
		var info fs.FileInfo
		if mode&fs.ModeSymlink != 0 {
			if info, err = os.Stat(p); err != nil {
				if isManifestName(p) {
					return fmt.Errorf("read %s: %w", p, err)
				}
				continue
			}
			mode, key = info.Mode().Type(), realPath(p)
		}
		switch {
		case mode.IsDir():
			if !w.recursive {
				continue
			}
			if info == nil {
				if info, err = os.Stat(p); err != nil {
					return err
				}
			}
			if slices.ContainsFunc(ancestors, func(a fs.FileInfo) bool { return os.SameFile(a, info) }) {
				w.skipped = append(w.skipped, fmt.Sprintf("skipping %s: a link to a directory it is in", p))
				continue
			}
			if err := renderedDir(p); err != nil {
				return err
			}
			if err := w.dir(p, key, append(ancestors[:len(ancestors):len(ancestors)], info)); err != nil {
				return err
			}
		case !isManifestName(p):
		case !mode.IsRegular():
			w.skipped = append(w.skipped, fmt.Sprintf("skipping %s: %s, not a regular file", p, fileType(mode)))
		default:
			w.files = append(w.files, found{p, key, true})
		}
	}
	return nil
}

// isManifestName reports whether a file in a directory is read, by its
// extension: .yaml, .yml or .json, as kubectl reads.
func isManifestName(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
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

// isExpectations reports whether the content of a file is a list of
// "kubectl netpol test" expectations rather than Kubernetes objects. Only
// files whose first content is a YAML sequence item are parsed; manifests
// are mappings.
func isExpectations(b []byte) bool {
	if !startsWithSequence(b) {
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
