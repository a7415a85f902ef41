package dsp

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's CPU time. On a shared machine, CPU time per
// frame is steadier than wall time, so benchmarks report both.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportFrame reports x_realtime (20 ms of audio per op, wall time) and
// cpu_us/frame since cpu0.
func reportFrame(b *testing.B, cpu0 time.Duration) {
	cpu := float64(cpuTime()-cpu0) / float64(b.N)
	b.ReportMetric(20e6/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "x_realtime")
	b.ReportMetric(cpu/1000, "cpu_us/frame")
}
