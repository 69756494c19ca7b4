package workers

import "syscall"

// osYield gives the processor to another runnable thread, if any, of this
// or another process (sched_yield).
func osYield() { syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
