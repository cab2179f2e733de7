package main

// harden does nothing on macOS, which has no non-dumpable flag: lowering
// the core size limit would be inherited by the command rigup-exec runs.
// macOS writes no core dumps unless the user raised `ulimit -c` and made
// /cores writable.
func harden() {}
