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

#include <stdlib.h>

/*
 * Every test has an explicit time limit, TEST_F_TIMEOUT(f, t,
 * TT_TIMEOUT(s)), never the harness's 30 s default.  The tests run in a
 * kernel under software emulation (QEMU TCG) on hosts shared with other
 * work: loading and unloading the module, or a namespace coming and
 * going, takes seconds there, and two or more busy CPUs on the host make
 * everything 2-4 times slower again.  s is what a test may take under
 * emulation on a quiet host; TT_TIMEOUT_SCALE covers a loaded one.  The
 * limit only ends a hung test: no test measures time with it.
 *
 * A slower kernel (the debug kernel of `make check-debug`: KASAN,
 * lockdep, kmemleak) scales every limit once more, at run time: the VM
 * passes TT_TIME_SCALE (a factor >= 1, default 1) on the kernel command
 * line, which /init hands to every test in its environment.  main()
 * multiplies each registered test's limit by it before the first test
 * runs; waits that give the kernel time to do something use
 * tt_time_scaled() with the same factor.  A kernel report (KASAN,
 * lockdep, ...) fails the run from the kernel log whatever the tests
 * say: a timeout never hides one.
 */
#ifndef TT_TIMEOUT_SCALE
#define TT_TIMEOUT_SCALE	4
#endif
#define TT_TIMEOUT(seconds)	((seconds) * TT_TIMEOUT_SCALE)

/* The run's time factor: TT_TIME_SCALE from the environment, 1 to 100. */
static inline double tt_time_scale(void)
{
	const char *s = getenv("TT_TIME_SCALE");
	double f = s ? strtod(s, NULL) : 1.0;

	return f >= 1.0 && f <= 100.0 ? f : 1.0;
}

/* A wait of ms milliseconds on a kernel of normal speed, on this one. */
static inline long long tt_time_scaled(long long ms)
{
	return (long long)(ms * tt_time_scale());
}

/* Every test's limit times the run's factor, then the harness. */
static inline void tt_scale_timeouts(void)
{
	double f = tt_time_scale();
	struct __fixture_metadata *fix;
	struct __test_metadata *t;

	for (fix = __fixture_list; fix; fix = fix->next)
		for (t = fix->tests; t; t = t->next)
			t->timeout = (int)(t->timeout * f);
}

#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN \
	static void __attribute__((constructor)) \
	__constructor_order_last(void) \
	{ \
		if (!__constructor_order) \
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	} \
	int main(int argc, char **argv) { \
		tt_scale_timeouts(); \
		return test_harness_run(argc, argv); \
	}

#endif /* TT_HARNESS_H */
