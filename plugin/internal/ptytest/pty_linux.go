// Package ptytest opens pseudo-terminals for tests of what the plugin does
// only on a terminal: colour, and the live progress line.
package ptytest

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// Open returns a pseudo-terminal COLS columns wide: the terminal side to
// write to (it passes term.IsTerminal) and the side that reads what was
// written. The terminal is raw, so what is read is byte for byte what was
// written. Both are closed when the test ends.
func Open(t testing.TB, cols int) (terminal, reader *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	var unlock int32
	ioctl(t, m, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock))
	var n uint32
	ioctl(t, m, syscall.TIOCGPTN, unsafe.Pointer(&n))
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	ws := struct{ rows, cols, x, y uint16 }{rows: 24, cols: uint16(cols)}
	ioctl(t, s, syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
	var tio syscall.Termios
	ioctl(t, s, syscall.TCGETS, unsafe.Pointer(&tio))
	tio.Oflag &^= syscall.OPOST
	tio.Lflag &^= syscall.ECHO | syscall.ICANON
	ioctl(t, s, syscall.TCSETS, unsafe.Pointer(&tio))
	return s, m
}

func ioctl(t testing.TB, f *os.File, req uint, arg unsafe.Pointer) {
	t.Helper()
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(req), uintptr(arg)); errno != 0 {
		t.Fatalf("pseudo-terminal ioctl %#x: %v", req, errno)
	}
}

// Output runs write with a terminal COLS columns wide and returns what it
// wrote there.
func Output(t testing.TB, cols int, write func(terminal *os.File)) string {
	t.Helper()
	terminal, reader := Open(t, cols)
	done := make(chan []byte)
	go func() {
		// Reading fails (EIO) once the terminal side is closed and drained.
		var all []byte
		buf := make([]byte, 4096)
		for {
			n, err := reader.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil {
				done <- all
				return
			}
		}
	}()
	write(terminal)
	terminal.Close()
	return string(<-done)
}
