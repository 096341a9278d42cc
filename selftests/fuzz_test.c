// SPDX-License-Identifier: GPL-2.0
/*
 * Knob fuzzing: many random writes to every knob through every interface,
 * each checked against the grammar that Documentation/admin-guide.rst
 * ("Writes") promises, not against the module's code.
 *
 * A write is accepted if and only if it is, at offset 0 (sysctl; sysfs
 * ignores the offset), at most 23 bytes of: an optional '+' or '-',
 * decimal digits, an optional single newline, with the value inside the
 * knob's range.  Accepted: the write returns its length and the value is
 * the one written.  Anything else: EINVAL and the value unchanged.  An
 * empty write to a sysfs file never reaches the module and returns 0.
 * In the initial namespace the sysctl and the sysfs file must agree after
 * every write.
 *
 * The inputs come from a seeded generator: the seed is printed, and
 * TT_FUZZ_SEED=<n> (environment, or kernel command line through vm.sh)
 * replays a run.  TT_FUZZ_WRITES sets the writes per knob and interface:
 * 1000 by default (`make check`: about 2.5 minutes under emulation),
 * 10000 in `make stress`.  Writes that switch a policy on or off take
 * 20 to 60 ms each there (Documentation/reliability.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tt_harness.h"
#include "tt_knobs.h"
#include "tt_net.h"
#include "tt_util.h"

#define FUZZ_BUF	9000	/* longer than a page: sysfs truncates */
#define FUZZ_MAX_OK	23	/* longest write the grammar accepts */

static uint64_t fuzz_seed(void)
{
	const char *s = getenv("TT_FUZZ_SEED");

	return s && *s ? strtoull(s, NULL, 0) : 16;
}

static long fuzz_writes(void)
{
	const char *s = getenv("TT_FUZZ_WRITES");

	return s && *s ? strtol(s, NULL, 0) : 1000;
}

/* splitmix64: small, fast, and the same on every machine */
struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

/* One stream per test and knob, so that each replays on its own. */
static void rng_init(struct rng *r, const char *test, unsigned int knob)
{
	r->s = fuzz_seed() * 1000003 + knob;
	while (*test)
		r->s = r->s * 131 + (unsigned char)*test++;
	rnd(r);
}

struct input {
	char buf[FUZZ_BUF];
	size_t len;
	off_t off;
	const char *kind;
};

/*
 * The documented grammar.  Returns true and the value for a write the
 * module must accept (at offset 0).
 */
static bool grammar_accepts(const struct tt_knob *k, const char *b,
			    size_t len, long long *val)
{
	size_t i = 0, end = len;
	bool neg = false, big = false;
	long long v = 0;

	if (len == 0 || len > FUZZ_MAX_OK)
		return false;
	if (b[end - 1] == '\n')
		end--;
	if (i < end && (b[i] == '+' || b[i] == '-'))
		neg = b[i++] == '-';
	if (i >= end)
		return false;
	for (; i < end; i++) {
		if (b[i] < '0' || b[i] > '9')
			return false;
		if (v > 100000000000LL)
			big = true;
		else
			v = v * 10 + (b[i] - '0');
	}
	if (big)
		return false;
	if (neg)
		v = -v;
	if (v < k->min || v > k->max)
		return false;
	*val = v;
	return true;
}

static void put(struct input *in, const char *kind, const char *s)
{
	in->kind = kind;
	in->len = strlen(s);
	memcpy(in->buf, s, in->len + 1);
}

/* A value in the range, biased to the edges. */
static long long in_range(struct rng *r, const struct tt_knob *k)
{
	long long span = (long long)k->max - k->min + 1;
	long long d = rnd_below(r, 3);

	switch (rnd_below(r, 4)) {
	case 0:
		return d < span ? k->min + d : k->min;
	case 1:
		return d < span ? k->max - d : k->max;
	default:
		return k->min + (long long)rnd_below(r, span);
	}
}

static const char * const garbage[] = {
	"abc", "1e3", "1.0", "1,0", "0.5", "nan", "inf", "true", "false",
	"on", "off", "y", "n", "0b1", "0o7", "1_000", "\xd9\xa3", "\xff",
	"one", "5x", "x5", "5 x", "\x01", "\x7f", "=1", "'1'", "\"1\"",
	"1k", "1K", "1M", "0x", "x", "#1", "1#",
};

static const char * const overflows[] = {
	"2147483647", "2147483648", "-2147483648", "-2147483649",
	"4294967295", "4294967296", "4294967297", "9223372036854775807",
	"9223372036854775808", "-9223372036854775808",
	"-9223372036854775809", "18446744073709551615",
	"18446744073709551616", "18446744073709551617",
	"36893488147419103232", "99999999999999999999",
	"-99999999999999999999", "100000000000000000000000",
	"340282366920938463463374607431768211456",
};

/*
 * Fill @in with one random write for @k: every class the issue names,
 * valid values among them so that the value keeps moving.
 */
static void gen(struct rng *r, const struct tt_knob *k, struct input *in,
		bool allow_nul, bool allow_off)
{
	char t[64];
	long long v = in_range(r, k);
	const char *nl = rnd_below(r, 2) ? "\n" : "";
	unsigned int n, i;

	in->off = 0;
	switch (rnd_below(r, 14)) {
	case 0: case 1: case 2: case 3:	/* in range, plain */
		snprintf(t, sizeof(t), "%lld%s", v, nl);
		put(in, "in range", t);
		break;
	case 4:	/* in range, other spellings of the same number */
		n = rnd_below(r, 4);
		snprintf(t, sizeof(t), "%s%0*lld%s",
			 rnd_below(r, 2) ? "+" : "", (int)(n + 1 + (v > 9)),
			 v, nl);
		put(in, "in range, sign or leading zeros", t);
		break;
	case 5:	/* just outside, or far */
		switch (rnd_below(r, 3)) {
		case 0:
			v = (long long)k->min - 1 - rnd_below(r, 3);
			break;
		case 1:
			v = (long long)k->max + 1 + rnd_below(r, 3);
			break;
		default:
			v = (long long)(rnd(r) >> rnd_below(r, 64)) *
				(rnd_below(r, 2) ? -1 : 1);
		}
		snprintf(t, sizeof(t), "%lld%s", v, nl);
		put(in, "out of range", t);
		break;
	case 6:	/* overflow: 2^31, 2^32, 2^63, 2^64, beyond; and + v */
		if (rnd_below(r, 2)) {
			snprintf(t, sizeof(t), "%s%s",
				 overflows[rnd_below(r, ARRAY_SIZE(overflows))],
				 nl);
		} else {
			/* the number an overflowing parser would wrap to v */
			static const unsigned long long base[] = {
				1ULL << 32, 1ULL << 63,
			};

			snprintf(t, sizeof(t), "%llu%s",
				 base[rnd_below(r, 2)] + (unsigned long long)v,
				 nl);
		}
		put(in, "overflow", t);
		break;
	case 7:	/* non-numeric */
		if (rnd_below(r, 2)) {
			put(in, "non-numeric",
			    garbage[rnd_below(r, ARRAY_SIZE(garbage))]);
		} else {
			n = 1 + rnd_below(r, 12);
			for (i = 0; i < n; i++)
				t[i] = 1 + rnd_below(r, 255);
			t[n] = '\0';
			put(in, "random bytes", t);
		}
		break;
	case 8: {	/* whitespace around a valid value */
		static const char * const fmt[] = {
			" %lld", "%lld ", "\t%lld", "%lld\t", "%lld\n\n",
			"\n%lld", "%lld\r\n", "%lld\r", "%lld\n ", " %lld\n",
			"\v%lld", "%lld\f",
		};

		snprintf(t, sizeof(t), fmt[rnd_below(r, ARRAY_SIZE(fmt))], v);
		put(in, "whitespace", t);
		break;
	}
	case 9: {	/* signs */
		static const char * const fmt[] = {
			"+%lld", "-%lld", "--%lld", "+-%lld", "-+%lld",
			"++%lld", "- %lld", "+ %lld",
		};
		static const char * const bare[] = { "-", "+", "-\n", "+\n",
			"-0", "+0", "-0\n" };

		if (rnd_below(r, 4)) {
			snprintf(t, sizeof(t),
				 fmt[rnd_below(r, ARRAY_SIZE(fmt))], v);
			put(in, "sign", t);
		} else {
			put(in, "sign", bare[rnd_below(r, ARRAY_SIZE(bare))]);
		}
		break;
	}
	case 10: {	/* hex and octal spellings */
		static const char * const fmt[] = {
			"0x%llx", "0X%llX", "0%llo", "0o%llo", "0%lld",
			"00%lld", "%llxh", "0x%llx\n", "-0x%llx",
		};

		snprintf(t, sizeof(t), fmt[rnd_below(r, ARRAY_SIZE(fmt))], v);
		put(in, "hex/octal", t);
		break;
	}
	case 11:	/* empty, very long */
		if (rnd_below(r, 3) == 0) {
			if (rnd_below(r, 2))
				put(in, "empty", "");
			else
				put(in, "newline only", "\n");
			break;
		}
		n = FUZZ_MAX_OK - 2 + rnd_below(r, sizeof(in->buf) -
						FUZZ_MAX_OK);
		in->kind = "very long";
		if (rnd_below(r, 2)) {
			/* a valid value behind many leading zeros */
			snprintf(t, sizeof(t), "%lld", v);
			if (n < strlen(t) + 1)
				n = strlen(t) + 1;
			memset(in->buf, '0', n);
			memcpy(in->buf + n - strlen(t), t, strlen(t));
		} else {
			for (i = 0; i < n; i++)
				in->buf[i] = '0' + rnd_below(r, 10);
		}
		in->buf[n] = '\0';
		in->len = n;
		break;
	case 12:	/* several values in one write */
		snprintf(t, sizeof(t), "%lld%s%lld%s", v,
			 (const char * const[]){ " ", "\n", ",", ";", "\t" }
				[rnd_below(r, 5)],
			 in_range(r, k), nl);
		put(in, "several values", t);
		break;
	default:	/* embedded NUL; a write at an offset */
		snprintf(t, sizeof(t), "%lld", v);
		n = strlen(t);
		if (allow_nul && rnd_below(r, 2)) {
			static const char * const tail[] = { "", "x", "1",
				"\n", "junk", "\0" };
			const char *s = tail[rnd_below(r, ARRAY_SIZE(tail))];

			i = rnd_below(r, n + 1);	/* where the NUL goes */
			memcpy(in->buf, t, i);
			in->buf[i] = '\0';
			memcpy(in->buf + i + 1, t + i, n - i);
			memcpy(in->buf + n + 1, s, strlen(s) + 1);
			in->len = n + 1 + strlen(s);
			in->kind = "embedded NUL";
		} else if (allow_off) {
			snprintf(t, sizeof(t), "%lld%s", v, nl);
			put(in, "at an offset", t);
			in->off = 1 + rnd_below(r, rnd_below(r, 2) ? 4 : 4096);
		} else {
			snprintf(t, sizeof(t), "%lld%s", v, nl);
			put(in, "in range", t);
		}
		break;
	}
}

/* A printable form of a write, for the log. */
static const char *show(const struct input *in)
{
	static char s[128];
	size_t i, o = 0;

	for (i = 0; i < in->len && o < sizeof(s) - 8; i++) {
		unsigned char c = in->buf[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			s[o++] = c;
		else
			o += snprintf(s + o, sizeof(s) - o, "\\x%02x", c);
	}
	if (i < in->len)
		o += snprintf(s + o, sizeof(s) - o, "...");
	s[o] = '\0';
	return s;
}

enum iface { SYSCTL, SYSFS };

struct outcome {
	bool accept;		/* must succeed ... */
	ssize_t ret;		/* ... returning this */
	long long val;		/* and the value afterwards */
};

static struct outcome expect(const struct tt_knob *k, enum iface iface,
			     const struct input *in, long long cur)
{
	struct outcome o = { .accept = false, .ret = -1, .val = cur };
	size_t len = in->len;
	long long v;

	if (iface == SYSFS && len == 0) {
		/* sysfs returns 0 before the module sees the write */
		o.accept = true;
		o.ret = 0;
		return o;
	}
	if (iface == SYSCTL && in->off)
		return o;
	if (memchr(in->buf, '\0', len))
		return o;
	if (grammar_accepts(k, in->buf, len, &v)) {
		o.accept = true;
		o.ret = len;
		o.val = v;
	}
	return o;
}

static int open_knob(const char *dir, const char *name)
{
	char path[TT_PATH_MAX];

	return open(tt_path(path, dir, name), O_WRONLY | O_CLOEXEC);
}

struct tally {
	long writes, accepted, refused;
};

/*
 * @n random writes to knob @k through @iface (file @dir); in the
 * initial namespace (@init) the other view is compared after each.
 */
static void fuzz_knob(struct __test_metadata *_metadata, const char *test,
		      unsigned int ki, enum iface iface, bool init, long n,
		      struct tally *t)
{
	const struct tt_knob *k = &tt_knobs[ki];
	const char *dir = iface == SYSCTL ? TT_SYSCTL_DIR : TT_SYSFS_DIR;
	static struct input in;
	struct outcome o;
	long long cur, now, twin, start_us;
	struct rng r;
	ssize_t ret;
	long i;
	int fd, err;

	rng_init(&r, test, ki);
	start_us = tt_now_us();
	ASSERT_EQ(0, tt_knob_read(dir, k->name, &cur));
	fd = open_knob(dir, k->name);
	ASSERT_LE(0, fd) TH_LOG("%s/%s: %s", dir, k->name, strerror(errno));
	for (i = 0; i < n; i++) {
		gen(&r, k, &in, true, true);
		o = expect(k, iface, &in, cur);
		errno = 0;
		ret = pwrite(fd, in.buf, in.len, in.off);
		err = errno;
		if (o.accept) {
			ASSERT_EQ(o.ret, ret)
				TH_LOG("%s/%s write %ld <- \"%s\" at %lld (%s): %s, documented: accepted",
				       dir, k->name, i, show(&in),
				       (long long)in.off, in.kind,
				       ret < 0 ? strerror(err) : "short");
			t->accepted++;
		} else {
			ASSERT_EQ(-1, ret)
				TH_LOG("%s/%s write %ld <- \"%s\" at %lld (%s): accepted (%zd), documented: EINVAL",
				       dir, k->name, i, show(&in),
				       (long long)in.off, in.kind, ret);
			ASSERT_EQ(EINVAL, err)
				TH_LOG("%s/%s write %ld <- \"%s\" (%s): %s, documented: EINVAL",
				       dir, k->name, i, show(&in), in.kind,
				       strerror(err));
			t->refused++;
		}
		t->writes++;
		ASSERT_EQ(0, tt_knob_read(dir, k->name, &now));
		ASSERT_EQ(o.val, now)
			TH_LOG("%s/%s write %ld <- \"%s\" (%s): value %lld, want %lld",
			       dir, k->name, i, show(&in), in.kind, now, o.val);
		if (init) {
			ASSERT_EQ(0, tt_knob_read(iface == SYSCTL ?
						  TT_SYSFS_DIR : TT_SYSCTL_DIR,
						  k->name, &twin));
			ASSERT_EQ(now, twin)
				TH_LOG("%s: sysctl and sysfs disagree after write %ld",
				       k->name, i);
		}
		cur = now;
	}
	close(fd);
	TH_LOG("%s/%s: %ld writes, %.1f s", dir, k->name, n,
	       (tt_now_us() - start_us) / 1e6);
}

FIXTURE(fuzz) {
	int init_netns;
	long long start_us;
};

FIXTURE_SETUP(fuzz)
{
	int ret;

	self->init_netns = tt_netns_current();
	ASSERT_LE(0, self->init_netns);
	self->start_us = tt_now_us();
	ret = tt_module_fresh("");
	ASSERT_EQ(0, ret) TH_LOG("load: %s", strerror(-ret));
	TH_LOG("seed %llu (TT_FUZZ_SEED replays), %ld writes per knob and interface",
	       (unsigned long long)fuzz_seed(), fuzz_writes());
}

FIXTURE_TEARDOWN(fuzz)
{
	TH_LOG("%.1f s", (tt_now_us() - self->start_us) / 1e6);
	EXPECT_EQ(0, tt_netns_enter(self->init_netns));
	if (tt_module_loaded())
		EXPECT_EQ(0, tt_module_unload());
	close(self->init_netns);
}

static void log_tally(struct __test_metadata *_metadata, const char *what,
		      const struct tally *t)
{
	TH_LOG("%s: %ld writes, %ld accepted, %ld refused with EINVAL",
	       what, t->writes, t->accepted, t->refused);
}

/* Every sysctl, in a namespace of its own; the initial one untouched. */
TEST_F_TIMEOUT(fuzz, sysctl_in_netns, TT_TIMEOUT(300))
{
	struct tally t = { 0 };
	long long v;
	unsigned int i;
	int ns;

	ns = tt_netns_new();
	ASSERT_LE(0, ns);
	for (i = 0; i < TT_NR_KNOBS; i++)
		fuzz_knob(_metadata, "sysctl_in_netns", i, SYSCTL, false,
			  fuzz_writes(), &t);
	ASSERT_EQ(0, tt_netns_enter(self->init_netns));
	close(ns);
	for (i = 0; i < TT_NR_KNOBS; i++) {
		ASSERT_EQ(0, tt_knob_read(TT_SYSFS_DIR, tt_knobs[i].name, &v));
		ASSERT_EQ(tt_knobs[i].def, v) TH_LOG("%s", tt_knobs[i].name);
	}
	log_tally(_metadata, "sysctl", &t);
}

/* Every sysfs file; the initial namespace's sysctls must follow. */
TEST_F_TIMEOUT(fuzz, sysfs, TT_TIMEOUT(900))
{
	struct tally t = { 0 };
	unsigned int i;

	for (i = 0; i < TT_NR_KNOBS; i++)
		fuzz_knob(_metadata, "sysfs", i, SYSFS, true, fuzz_writes(),
			  &t);
	log_tally(_metadata, "sysfs", &t);
}

/* The initial namespace's sysctls; sysfs must follow. */
TEST_F_TIMEOUT(fuzz, sysctl_init_netns, TT_TIMEOUT(300))
{
	struct tally t = { 0 };
	unsigned int i;

	for (i = 0; i < TT_NR_KNOBS; i++)
		fuzz_knob(_metadata, "sysctl_init_netns", i, SYSCTL, true,
			  fuzz_writes() / 10, &t);
	log_tally(_metadata, "sysctl, initial namespace", &t);
}

/*
 * Two writers on two CPUs, one through the sysctl, one through sysfs,
 * on the same knob of the initial namespace.  Each write gets what the
 * grammar says; afterwards the value is one that some writer had
 * accepted, the same in both views.
 */
struct racer {
	unsigned int knob;
	enum iface iface;
	int cpu;
	long n;
	long bad;		/* writes that got another result */
	long accepted;
	char what[160];
	long long seen[2];	/* first and last accepted values */
	long long last_val;
};

static int race_child(void *arg)
{
	struct racer *rc = arg;
	const struct tt_knob *k = &tt_knobs[rc->knob];
	static struct input in;
	struct outcome o;
	cpu_set_t set;
	struct rng r;
	ssize_t ret;
	long i;
	int fd;

	CPU_ZERO(&set);
	CPU_SET(rc->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	rng_init(&r, rc->iface == SYSCTL ? "race-sysctl" : "race-sysfs",
		 rc->knob);
	fd = open_knob(rc->iface == SYSCTL ? TT_SYSCTL_DIR : TT_SYSFS_DIR,
		       k->name);
	if (fd < 0)
		return 1;
	for (i = 0; i < rc->n; i++) {
		gen(&r, k, &in, true, false);
		if (rc->iface == SYSFS && !in.len)
			continue;
		o = expect(k, rc->iface, &in, 0);
		errno = 0;
		ret = pwrite(fd, in.buf, in.len, 0);
		if (o.accept ? ret != o.ret : (ret != -1 || errno != EINVAL)) {
			if (!rc->bad++)
				snprintf(rc->what, sizeof(rc->what),
					 "\"%s\" (%s): %zd %s", show(&in),
					 in.kind, ret, strerror(errno));
			continue;
		}
		if (o.accept) {
			rc->accepted++;
			rc->last_val = o.val;
		}
	}
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(fuzz, two_writers_two_cpus, TT_TIMEOUT(300))
{
	struct racer *rc = tt_shared_alloc(2 * sizeof(*rc));
	long long a, b;
	unsigned int i, j;
	pid_t pid[2];

	ASSERT_NE(NULL, rc);
	ASSERT_LE(2, sysconf(_SC_NPROCESSORS_ONLN))
		TH_LOG("needs two CPUs");
	for (i = 0; i < TT_NR_KNOBS; i++) {
		for (j = 0; j < 2; j++) {
			memset(&rc[j], 0, sizeof(rc[j]));
			rc[j].knob = i;
			rc[j].iface = j ? SYSFS : SYSCTL;
			rc[j].cpu = j;
			rc[j].n = fuzz_writes() / 5;
			rc[j].last_val = LLONG_MIN;
		}
		for (j = 0; j < 2; j++) {
			pid[j] = tt_child_start(race_child, &rc[j]);
			ASSERT_LT(0, pid[j]);
		}
		for (j = 0; j < 2; j++)
			ASSERT_EQ(0, tt_child_wait(pid[j]));
		for (j = 0; j < 2; j++) {
			if (rc[j].bad)
				TH_LOG("%s, %s writer: %ld wrong results, first %s",
				       tt_knobs[i].name,
				       j ? "sysfs" : "sysctl", rc[j].bad,
				       rc[j].what);
			ASSERT_EQ(0, rc[j].bad);
		}
		ASSERT_EQ(0, tt_knob_read(TT_SYSCTL_DIR, tt_knobs[i].name, &a));
		ASSERT_EQ(0, tt_knob_read(TT_SYSFS_DIR, tt_knobs[i].name, &b));
		ASSERT_EQ(a, b) TH_LOG("%s: views disagree", tt_knobs[i].name);
		/* the very last write of one of the two was the last store */
		ASSERT_TRUE(a == rc[0].last_val || a == rc[1].last_val)
			TH_LOG("%s = %lld, last accepted %lld and %lld",
			       tt_knobs[i].name, a, rc[0].last_val,
			       rc[1].last_val);
	}
}

/*
 * A few hundred loads with a random parameter: the bad ones fail with
 * EINVAL and leave nothing loaded; the good ones load with the value.
 * Parameter values cannot hold a NUL or a '"', nor a blank unquoted.
 */
TEST_F_TIMEOUT(fuzz, insmod_params, TT_TIMEOUT(600))
{
	static struct input in;
	char params[256], path[TT_PATH_MAX];
	long bad = 0, good = 0, n;
	long long v, want;
	struct rng r;
	int ret;
	long i;

	ASSERT_EQ(0, tt_module_unload());
	rng_init(&r, "insmod", 0);
	n = fuzz_writes() / 30;
	for (i = 0; i < n; i++) {
		const struct tt_knob *k = &tt_knobs[rnd_below(&r,
							      TT_NR_KNOBS)];
		bool ok;

		do
			gen(&r, k, &in, false, false);
		while (in.len > 200 || strchr(in.buf, '"') ||
		       strlen(in.buf) != in.len);
		ok = grammar_accepts(k, in.buf, in.len, &want);
		/* a good load costs an unload: keep them a minority */
		if (ok && rnd_below(&r, 4))
			continue;
		snprintf(params, sizeof(params), "%s=\"%.200s\"", k->name,
			 in.buf);
		ret = tt_module_load(params, false);
		if (!ok) {
			ASSERT_EQ(-EINVAL, ret)
				TH_LOG("insmod %s=\"%s\" (%s): %s, documented: EINVAL",
				       k->name, show(&in), in.kind,
				       ret ? strerror(-ret) : "loaded");
			ASSERT_FALSE(tt_module_loaded());
			bad++;
			continue;
		}
		ASSERT_EQ(0, ret)
			TH_LOG("insmod %s=\"%s\" (%s): %s, documented: loads",
			       k->name, show(&in), in.kind, strerror(-ret));
		ASSERT_EQ(0, tt_read_int(tt_path(path, TT_PARAM_DIR, k->name),
					 &v));
		ASSERT_EQ(want, v) TH_LOG("%s", params);
		ASSERT_EQ(0, tt_knob_read(TT_SYSFS_DIR, k->name, &v));
		ASSERT_EQ(want, v) TH_LOG("%s", params);
		ASSERT_EQ(0, tt_module_unload());
		good++;
	}
	TH_LOG("insmod: %ld refused with EINVAL, %ld loaded", bad, good);
	ASSERT_LT(n / 4, bad);
}

TEST_HARNESS_MAIN
