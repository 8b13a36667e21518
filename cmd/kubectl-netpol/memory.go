package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// memoryBudget is the soft memory limit a run sets when GOMEMLIMIT is not
// set: three quarters of the memory the process may use (its cgroup's
// limit, else the machine's), so that the collector works harder only as
// the heap nears what the machine has, never below what the answer needs
// (a fixed limit below the live heap makes the collector run without
// end). 0 when neither can be read: no limit.
func memoryBudget() int64 {
	avail := machineMemory()
	if c := cgroupMemory(); c > 0 && (avail == 0 || c < avail) {
		avail = c
	}
	return avail / 4 * 3
}

// cgroupMemory is the cgroup v2 (memory.max) or v1
// (memory.limit_in_bytes) limit of the process, 0 for none.
func cgroupMemory() int64 {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0 // "max", or v1's "no limit" (a page-rounded int64 max)
		}
		return n
	}
	return 0
}

// machineMemory is MemTotal of /proc/meminfo, 0 when it cannot be read.
func machineMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	return parseMemTotal(b)
}

// parseMemTotal reads "MemTotal: N kB" from /proc/meminfo's contents.
func parseMemTotal(b []byte) int64 {
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
