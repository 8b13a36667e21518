package load

// quickHeader reads what decodeItem needs before the typed decode (the
// apiVersion, kind and metadata name and namespace) in one pass over the
// bytes of a document known to be valid JSON, without the strict decode
// of typeMeta, which scans every byte twice more. It answers only where
// that decode would give the same: ok is false for a document that is
// not an object, a List (an items key), a key or value of these fields
// written with escapes or not as a string, or one of them given twice.
// The caller then decodes typeMeta strictly, with its errors.
func quickHeader(raw []byte) (tm typeMeta, ok bool) {
	s := jsonScan{b: raw}
	metadata := false
	ok = s.fields(map[string]*string{"apiVersion": &tm.APIVersion, "kind": &tm.Kind}, func(key string) bool {
		switch {
		case key == "items" || key == "metadata" && metadata:
			return false
		case key == "metadata":
			metadata = true
			return s.fields(map[string]*string{"namespace": &tm.Metadata.Namespace, "name": &tm.Metadata.Name}, func(string) bool { return s.skip() })
		}
		return s.skip()
	})
	s.space()
	return tm, ok && s.i == len(s.b)
}

// jsonScan walks valid JSON: it finds where values end, and reads the
// strings it is asked for; it checks nothing else.
type jsonScan struct {
	b []byte
	i int
}

func (s *jsonScan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// object walks the object at s.i, calling member with each key, the value
// next to be read; member reads or skips the value, or stops the walk.
func (s *jsonScan) object(member func(key string, escaped bool) bool) bool {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return false
	}
	s.i++
	for first := true; ; first = false {
		s.space()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			return true
		}
		if !first {
			if s.i >= len(s.b) || s.b[s.i] != ',' {
				return false
			}
			s.i++
			s.space()
		}
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		key, plain := s.plainString()
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.space()
		if !member(key, !plain) {
			return false
		}
	}
}

// fields walks the object at s.i, reading into strings[key] the plain
// string of each such key, and handing the others to other, which reads
// or skips their values. It stops on any escaped key, a value that is not
// a plain string, or a key of strings given twice.
func (s *jsonScan) fields(strings map[string]*string, other func(key string) bool) bool {
	seen := map[string]bool{}
	return s.object(func(key string, escaped bool) bool {
		dst, ok := strings[key]
		switch {
		case escaped || seen[key]:
			return false
		case !ok:
			return other(key)
		}
		seen[key] = true
		*dst, ok = s.plainString()
		return ok
	})
}

// plainString reads the string at s.i. ok is false when there is none, or
// when it holds escapes, control or non-ASCII bytes (which the decoder
// may replace); s.i is then past it if it was a string.
func (s *jsonScan) plainString() (string, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch s.b[j] {
		case '"':
			s.i = j + 1
			return string(s.b[start:j]), true
		case '\\':
			s.i = j
			s.skipString()
			return "", false
		}
		if c := s.b[j]; c < 0x20 || c >= 0x80 {
			s.i = j
			s.skipString()
			return "", false
		}
	}
	s.i = len(s.b)
	return "", false
}

// skipString moves past the rest of the string s.i is in.
func (s *jsonScan) skipString() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			return
		}
		s.i++
	}
}

// skip moves past the value at s.i.
func (s *jsonScan) skip() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		s.i++
		s.skipString()
		return true
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			case '"':
				s.i++
				s.skipString()
				continue
			}
			s.i++
		}
		return false
	}
	for s.i < len(s.b) { // a number, true, false or null
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return true
		}
		s.i++
	}
	return true
}
