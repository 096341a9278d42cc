/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every knob of tcp_teardown, one line each:
 *   TT_KNOB(name, min, max, default)
 * Defaults reproduce stock Linux: loading the module with them changes
 * nothing on the wire.  A knob also needs its module parameter line, with
 * its help text, in control.c.
 *
 * No include guard: included wherever a list of all knobs is built, with
 * TT_KNOB defined to what that list needs.
 */
TT_KNOB(enabled, 0, 1, 1)
TT_KNOB(half_duplex_close, 0, 2, 1)
TT_KNOB(fin_wait2_timeout_ms, 0, 3600000, 0)
TT_KNOB(fin_wait2_rst, 0, 1, 0)
TT_KNOB(fin_wait2_idle_ms, 0, 86400000, 0)
TT_KNOB(tw_reopen, 0, 2, 2)
TT_KNOB(tw_isn_gap, 1, 1073741824, 65537)
TT_KNOB(time_wait_ms, 100, 600000, 60000)
TT_KNOB(tw_restore, 0, 1, 0)
