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

#endif /* TT_HARNESS_H */
