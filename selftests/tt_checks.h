/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks shared by the *_test.c files.  Unlike tt_util and tt_net they
 * assert through the kselftest harness, so only test files include this,
 * after tt_harness.h.
 */
#ifndef TT_CHECKS_H
#define TT_CHECKS_H

#include <string.h>

#include "tt_harness.h"
#include "tt_net.h"

/* Segments with all of @flags from @sport to @dport; a failed read fails. */
static inline int cap_count(struct __test_metadata *_metadata,
			    struct tt_cap *cap, unsigned int flags,
			    unsigned short sport, unsigned short dport)
{
	int n = tt_cap_count(cap, flags, sport, dport);

	ASSERT_LE(0, n) TH_LOG("capture: %s", strerror(-n));
	return n;
}

/*
 * A capture that reports no RST proves nothing unless it saw the rest:
 * nothing dropped, and the handshake's SYN from @cport to @sport.
 */
static inline void assert_cap_sane(struct __test_metadata *_metadata,
				   struct tt_cap *cap, unsigned short cport,
				   unsigned short sport)
{
	ASSERT_LE(1, cap_count(_metadata, cap, TT_TH_SYN, cport, sport))
		TH_LOG("capture missed the SYN %u -> %u", cport, sport);
	ASSERT_EQ(0ULL, cap->drops) TH_LOG("capture dropped frames");
}

#endif /* TT_CHECKS_H */
