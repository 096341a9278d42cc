/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kselftest_harness.h of linux-source-6.1 (found through -I$(KSFT_DIR)),
 * without its one -Wextra warning: __timeout_handler() does not use its
 * ucontext argument.  Test files include this instead of the harness.
 */
#ifndef TT_HARNESS_H
#define TT_HARNESS_H

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

/*
 * Every test has an explicit time limit, TEST_F_TIMEOUT(f, t,
 * TT_TIMEOUT(s)), never the harness's 30 s default.  The tests run in a
 * kernel under software emulation (QEMU TCG) on hosts shared with other
 * work: loading and unloading the module, or a namespace coming and
 * going, takes seconds there, and two or more busy CPUs on the host make
 * everything 2-4 times slower again.  s is what a test may take under
 * emulation on a quiet host; TT_TIMEOUT_SCALE covers a loaded one.  The
 * limit only ends a hung test: no test measures time with it.
 */
#ifndef TT_TIMEOUT_SCALE
#define TT_TIMEOUT_SCALE	4
#endif
#define TT_TIMEOUT(seconds)	((seconds) * TT_TIMEOUT_SCALE)

#endif /* TT_HARNESS_H */
