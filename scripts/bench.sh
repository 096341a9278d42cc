#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench` and `make bench-smoke`: boot each kernel once with
# scripts/guest/bench.sh, collect its results, print the tables.
#
#   bench.sh [--smoke] [--rounds N] [--clock icount|wall] [--report] KERNEL...
#
# --clock: what the guest's clock counts under emulation.  icount (the
# default): executed instructions, one nanosecond each, so that a rate is
# operations per 10^9 instructions and the host's load does not enter;
# wall: host time, as the tests run.  Under KVM it is always wall.
#
# --report only prints the tables again from the .jsonl files of an
# earlier run.
#
# In one boot per kernel the guest alternates the module unloaded, loaded
# with its defaults and loaded with every policy on, over several rounds
# (Documentation/performance.rst).  Each result is a "TTBENCH {json}" line
# on the guest's second serial port; this script keeps them in
#   $TT_BUILD/bench/<profile>-<kernel>.jsonl   (raw, one record a line)
# and writes the summary and the raw records of every kernel to
#   $TT_BUILD/bench/<profile>.json
# For each configuration the best round (highest rate: interference from
# the host only ever slows a run down) and the median; ratios against
# "off" as best/best and as the median of the per-round ratios.
# Nothing here judges speed: the exit status says only whether
# every kernel booted cleanly and produced well-formed results for every
# scenario (what `make check` counts as the bench-smoke test).
#
# Other QEMU processes on the host are sampled every 10 s while a kernel
# runs and reported with its results: measure on a quiet machine.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TT_BUILD:-$TOP/build}
OUT=$BUILD/bench
profile=full rounds=6 report_only= clock=icount
kernels=()
while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) profile=smoke; shift ;;
	--report) report_only=1; shift ;;
	--rounds) rounds=$2; shift 2 ;;
	--clock) clock=$2; shift 2 ;;
	-*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
	*) kernels+=("$1"); shift ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || { echo "usage: bench.sh [--smoke] [--rounds N] [--clock icount|wall] KERNEL..." >&2; exit 2; }
case "$clock" in
icount | wall) ;;
*) echo "bench.sh: --clock is icount or wall" >&2; exit 2 ;;
esac
[ "$profile" = smoke ] && rounds=1
mkdir -p "$OUT"

# Samples "seconds qemu-processes load1" every 10 s until killed.
sample_load() {
	local t0=$SECONDS
	while :; do
		echo "$((SECONDS - t0)) $(pgrep -c qemu-system || true) $(cut -d' ' -f1 /proc/loadavg)"
		sleep 10
	done
}

files=()
for k in "${kernels[@]}"; do
	jsonl=$OUT/$profile-$k.jsonl
	files+=("$k=$jsonl")
	[ -z "$report_only" ] || continue
	: >"$jsonl"
	if [ ! -f "$BUILD/$k/tcp_teardown.ko" ]; then
		echo "# bench: no module built for $k"
		continue
	fi
	echo "# bench: $k, $profile, $rounds round(s); other QEMU processes now: $(pgrep -c qemu-system || true)"
	sample_load >"$OUT/load-$k.log" &
	sampler=$!
	start=$SECONDS
	set +e
	TT_VM_CLOCK=$clock \
	TT_VM_TIMEOUT=${TT_VM_TIMEOUT:-$([ "$profile" = smoke ] && echo 300 || echo 2700)} \
		bash "$TOP/scripts/vm.sh" --kernel "$k" --mode bench \
		--bench "$profile rounds=$rounds" | grep --line-buffered -v '^TTBENCH '
	st=${PIPESTATUS[0]}
	set -e
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	grep '^TTBENCH ' "$BUILD/$k/vm/tap.log" | sed 's/^TTBENCH //' >>"$jsonl" || true
	accel=${TT_ACCEL:-$(cat "$BUILD/guest/accel" 2>/dev/null || echo "?")}
	[ "$accel" != kvm ] || clock=wall
	# The sampler sees our own QEMU too (one process).
	read -r qmax lmax < <(awk 'BEGIN { q = 0; l = 0 }
		{ if ($2 > q) q = $2; if ($3 > l) l = $3 }
		END { print (q > 0 ? q - 1 : 0), l }' "$OUT/load-$k.log")
	printf '{"type":"host","series":"%s","vm_status":%d,"secs":%d,"accel":"%s","clock":"%s","other_qemu_max":%d,"load1_max":%s}\n' \
		"$k" "$st" $((SECONDS - start)) "$accel" "$clock" "$qmax" "$lmax" >>"$jsonl"
done

exec python3 - "$profile" "$rounds" "$OUT/$profile.json" "${files[@]}" <<'PY'
import json
import math
import statistics
import sys
import time

profile, rounds, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
kernels = [a.split("=", 1) for a in sys.argv[4:]]

CONFIGS = ["off", "defaults", "all", "strict"]
LOOPS = ["churn", "bulk", "close", "refused", "halfclosed", "segment"]
RC_VARIANTS = [("off", "stock"), ("defaults", "tw_reopen=2"),
               ("defaults", "tw_reopen=1"), ("defaults", "tw_reopen=0"),
               ("defaults", "time_wait_ms=1000"),
               ("defaults", "tw_reopen=0,time_wait_ms=1000")]
# Module probes armed on each hooked function, per configuration: a
# probe set is armed only while some namespace uses its policy.  At the
# defaults only the TIME-WAIT kretprobe, and on kernels that lose the
# TIME-WAIT ISN (before 6.10) the SYN-ACK probes.  tcp_close() and
# tcp_set_state() are counted for reference only (no probe: the FIN_WAIT_2
# idle policy uses the tracepoint in tcp_set_state()).
PROBES_ALL = {"__tcp_close": 1, "tcp_rcv_state_process": 1,
              "tcp_timewait_state_process": 2, "tcp_keepalive_timer": 1,
              "tw_timer_handler": 1, "tcp_v4_send_synack": 1,
              "tcp_v6_send_synack": 1, "__inet_twsk_schedule": 1,
              "inet_twsk_deschedule_put": 1, "inet_csk_reqsk_queue_drop": 1,
              "tcp_time_wait": 1, "tcp_create_openreq_child": 1}


def probes_on(fn, config, series):
    if config == "defaults":
        lost_isn = series == "6.1"
        return {"tcp_timewait_state_process": 1,
                "tcp_v4_send_synack": int(lost_isn),
                "tcp_v6_send_synack": int(lost_isn)}.get(fn, 0)
    if fn in ("tcp_rcv_established", "tcp_data_queue"):
        return int(config == "strict")
    return PROBES_ALL.get(fn, 0) if config in ("all", "strict") else 0


TARGETS = {("churn", "defaults"): 0.99, ("churn", "all"): 0.98,
           ("bulk", "defaults"): 0.995, ("bulk", "all"): 0.995}
UNITS = {"churn": "conn/s", "bulk": "MB/s", "close": "op/s",
         "refused": "op/s", "halfclosed": "seg/s", "segment": "seg/s"}


def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and \
        math.isfinite(v)


def med(vals):
    vals = [v for v in vals if num(v)]
    return statistics.median(vals) if vals else None


def fmt(v, nd=1):
    if v is None:
        return "-"
    if abs(v) >= 1e5:
        return "%.0f" % v
    return "%.*f" % (nd, v)


def load(path):
    recs = []
    problems = []
    try:
        with open(path) as f:
            for i, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    recs.append(json.loads(line))
                except ValueError:
                    problems.append("line %d is not JSON: %.60s" % (i, line))
    except OSError as e:
        problems.append(str(e))
    return recs, problems


def analyse(series, recs, problems):
    host = next((r for r in recs if r.get("type") == "host"), {})
    begin = next((r for r in recs if r.get("type") == "begin"), None)
    end = next((r for r in recs if r.get("type") == "end"), None)
    if host.get("vm_status", 1) != 0:
        problems.append("the VM failed (status %s)" % host.get("vm_status"))
    if not begin or not end:
        problems.append("no begin/end record: the guest did not finish")
    nr = begin.get("rounds", rounds) if begin else rounds
    nb = min(nr, begin.get("brounds", 2)) if begin else min(rounds, 2)
    for r in recs:
        if r.get("type") == "error":
            problems.append("error in %s/%s %s: %s" % (
                r.get("config"), r.get("scenario"), r.get("variant"),
                r.get("error")))
    res = [r for r in recs if r.get("type") == "result"]
    cnt = [r for r in recs if r.get("type") == "count"]

    def pick(config, scenario, variant=None, rnd=None):
        return [r for r in res if r.get("config") == config and
                r.get("scenario") == scenario and
                (variant is None or r.get("variant") == variant) and
                (rnd is None or r.get("round") == rnd)]

    def need(rec_list, what, fields, nullable=()):
        if not rec_list:
            problems.append("missing: " + what)
            return
        for r in rec_list:
            for f in fields:
                v = r.get(f, "absent")
                if not num(v) and not (v is None and f in nullable):
                    problems.append("%s: field %s is %r" % (what, f, v))

    # Well-formedness: every scenario, every configuration, every round.
    for rnd in range(1, nr + 1):
        for c in CONFIGS:
            for s in LOOPS:
                what = "r%d %s %s" % (rnd, c, s)
                lst = pick(c, s, rnd=rnd)
                need(lst, what, ["secs", "ops", "rate", "ns_per_op"])
                for r in lst:
                    if num(r.get("ops")) and r["ops"] <= 0:
                        problems.append(what + ": no operation completed")
    for rnd in range(1, nb + 1):
        for c, v in RC_VARIANTS:
            need(pick(c, "reconnect", v, rnd), "r%d reconnect %s" % (rnd, v),
                 ["secs", "ops", "rate", "fails", "bound", "warmup_conns"],
                 nullable=["lat_p50_ms"])
        need(pick("off", "fw2", rnd=rnd), "r%d fw2 off" % rnd,
             ["n", "bytes_per_sock"])
        need(pick("all", "fw2", rnd=rnd), "r%d fw2 all" % rnd,
             ["n", "bytes_per_sock", "aborted", "late_p50_ms",
              "late_p99_ms", "late_max_ms"])
    for c in CONFIGS[1:]:
        for s in LOOPS:
            lst = [r for r in cnt if r.get("config") == c and
                   r.get("scenario") == s]
            if not lst or not isinstance(lst[0].get("hits_per_op"), dict):
                problems.append("missing: hooked-call count %s %s" % (c, s))

    summary = {"loops": {}, "hooks": {}, "reconnect": {}, "fw2": {}}

    # Phase A: medians and per-round ratios against off.
    for s in LOOPS:
        row = {"unit": UNITS[s]}
        best_off = max([r["rate"] for r in pick("off", s)
                        if num(r.get("rate"))], default=None)
        for c in CONFIGS:
            vals = [r["rate"] for r in pick(c, s) if num(r.get("rate"))]
            ent = {"median": med(vals), "best": max(vals, default=None),
                   "values": vals}
            if c != "off":
                ent["best_ratio"] = (ent["best"] / best_off
                                     if ent["best"] and best_off else None)
                ratios = []
                for rnd in range(1, nr + 1):
                    a, b = pick(c, s, rnd=rnd), pick("off", s, rnd=rnd)
                    if a and b and num(a[0].get("rate")) and \
                            num(b[0].get("rate")) and b[0]["rate"] > 0:
                        ratios.append(a[0]["rate"] / b[0]["rate"])
                ent["ratio"] = med(ratios)
                ent["ratio_min"] = min(ratios) if ratios else None
                ent["ratio_max"] = max(ratios) if ratios else None
                tgt = TARGETS.get((s, c))
                if tgt is not None:
                    ent["target"] = tgt
                    ent["target_met"] = (ent["best_ratio"] is not None and
                                         ent["best_ratio"] >= tgt)
            row[c] = ent
        summary["loops"][s] = row

    # Scenario 5: extra time per operation / hooked calls per operation.
    def best_ns(c, s, variant=None):
        rates = [r["rate"] for r in pick(c, s, variant)
                 if num(r.get("rate")) and r["rate"] > 0]
        return 1e9 / max(rates) if rates else None

    def delta_ns(c, s, variant=None, base=("off", None)):
        ds = []
        for rnd in range(1, nr + 1):
            a = pick(c, s, variant, rnd)
            b = pick(base[0], s, base[1], rnd)
            if a and b and num(a[0].get("rate")) and num(b[0].get("rate")) \
                    and a[0]["rate"] > 0 and b[0]["rate"] > 0:
                ds.append(1e9 / a[0]["rate"] - 1e9 / b[0]["rate"])
        return med(ds), ds

    def hooked_calls(c, s, variant=None):
        lst = [r for r in cnt if r.get("config") == c and
               r.get("scenario") == s and
               (variant is None or r.get("variant") == variant)]
        if not lst or not isinstance(lst[0].get("hits_per_op"), dict):
            return None, None, {}
        h = lst[0]["hits_per_op"]
        per = {f: v for f, v in h.items()
               if num(v) and v > 0.001 and probes_on(f, c, series)}
        return (sum(per.values()),
                sum(v * probes_on(f, c, series) for f, v in per.items()), per)

    work = [(s, None, ("off", None)) for s in LOOPS]
    work.append(("reconnect", "tw_reopen=2", ("off", "stock")))
    for s, variant, base in work:
        ent = {}
        for c in (["defaults"] if s == "reconnect" else CONFIGS[1:]):
            d, ds = delta_ns(c, s, variant, base)
            calls, handlers, per = hooked_calls(c, s, variant)
            base_ns = med([1e9 / r["rate"] for r in
                           pick(base[0], s, base[1]) if num(r.get("rate"))
                           and r["rate"] > 0])
            b_c, b_base = best_ns(c, s, variant), best_ns(base[0], s,
                                                         base[1])
            d_best = b_c - b_base if b_c and b_base else None
            ent[c] = {"base_ns_per_op": base_ns, "delta_ns_per_op": d,
                      "best_ns_per_op": b_base, "delta_best_ns_per_op": d_best,
                      "ns_per_hooked_call_best":
                      (d_best / calls if d_best is not None and calls
                       else None),
                      "delta_min": min(ds) if ds else None,
                      "delta_max": max(ds) if ds else None,
                      "hooked_calls_per_op": calls,
                      "handlers_per_op": handlers, "calls": per,
                      "ns_per_hooked_call":
                      (d / calls if d is not None and calls else None)}
        summary["hooks"][s] = ent

    for c, v in RC_VARIANTS:
        lst = pick(c, "reconnect", v)
        summary["reconnect"][v] = {
            "config": c,
            "rate": med([r.get("rate") for r in lst]),
            "fails_per_s": med([r.get("fails_per_s") for r in lst]),
            "bound": med([r.get("bound") for r in lst]),
            "time_wait_ms": med([r.get("time_wait_ms") for r in lst]),
            "lat_p50_ms": med([r.get("lat_p50_ms") for r in lst]),
            "ports": med([r.get("ports") for r in lst]),
            "inflight": med([r.get("inflight") for r in lst]),
        }

    off, on = pick("off", "fw2"), pick("all", "fw2")
    b_off = med([r.get("bytes_per_sock") for r in off])
    b_on = med([r.get("bytes_per_sock") for r in on])
    caches = {}
    for r in on:
        for k, v in (r.get("caches") or {}).items():
            caches.setdefault(k, []).append(v)
    summary["fw2"] = {
        "n": med([r.get("n") for r in on]),
        "idle_ms": med([r.get("idle_ms") for r in on]),
        "aborted_min": min([r["aborted"] for r in on
                            if num(r.get("aborted"))], default=None),
        "tracked_min": min([r["tracked_end"] for r in on
                            if num(r.get("tracked_end"))], default=None),
        "late_p50_ms": med([r.get("late_p50_ms") for r in on]),
        "late_p99_ms": med([r.get("late_p99_ms") for r in on]),
        "late_max_ms": max([r["late_max_ms"] for r in on
                            if num(r.get("late_max_ms"))], default=None),
        "shutdown_secs": med([r.get("shutdown_secs") for r in on]),
        "bytes_per_sock_off": b_off, "bytes_per_sock_all": b_on,
        "module_bytes_per_tracked_sock":
        (b_on - b_off if b_on is not None and b_off is not None else None),
        "caches_all": {k: med(v) for k, v in caches.items()},
    }
    return {"release": begin.get("kernel") if begin else None,
            "rounds": nr, "brounds": nb, "host": host, "summary": summary,
            "problems": problems, "records": recs}


def show(series, k):
    s = k["summary"]
    h = k["host"]
    print()
    print("== %s (%s), %d round(s) (reconnect and FIN_WAIT_2: %d), %s,"
          " clock %s; other QEMU processes during the run: up to %s,"
          " load1 up to %s"
          % (series, k["release"], k["rounds"], k["brounds"],
             h.get("accel", "?"), h.get("clock", "wall"),
             h.get("other_qemu_max", "?"), h.get("load1_max", "?")))
    print()
    print("%-11s %-7s %9s %9s  %-15s %-15s %-15s" % (
        "scenario", "unit", "off best", "median", "defaults", "all (hd=0)",
        "strict (hd=2)"))
    for sc in LOOPS:
        row = s["loops"][sc]
        cells = []
        for c in CONFIGS[1:]:
            e = row[c]
            cell = "%s/%s" % (fmt(e["best_ratio"], 3), fmt(e["ratio"], 3))
            if "target" in e and not e["target_met"]:
                cell += "!"
            cells.append(cell)
        print("%-11s %-7s %9s %9s  %-15s %-15s %-15s" % (
            sc, row["unit"], fmt(row["off"]["best"]),
            fmt(row["off"]["median"]), *cells))
    print("  (ratios to off: best round / median of the per-round ratios;"
          " ! best ratio below target)")
    print()
    print("Cost per hooked call (extra ns per operation / hooked calls per"
          " operation):")
    print("%-11s %-8s %9s %8s %8s %6s %8s %8s %8s  %s" % (
        "workload", "config", "ns/op off", "+ns best", "+ns med", "calls",
        "handlers", "ns/call", "(median)", "hooked calls per operation"))
    for sc, ent in s["hooks"].items():
        for c, e in ent.items():
            calls = " ".join("%s:%s" % (f, fmt(v, 2))
                             for f, v in sorted(e["calls"].items()))
            print("%-11s %-8s %9s %8s %8s %6s %8s %8s %8s  %s" % (
                sc, c, fmt(e["best_ns_per_op"], 0),
                fmt(e["delta_best_ns_per_op"], 0),
                fmt(e["delta_ns_per_op"], 0),
                fmt(e["hooked_calls_per_op"], 2),
                fmt(e["handlers_per_op"], 2),
                fmt(e["ns_per_hooked_call_best"], 0),
                fmt(e["ns_per_hooked_call"], 0), calls or "-"))
    print()
    print("Reconnect, server closes first:")
    print("%-30s %9s %10s %10s" % (
        "variant", "conn/s", "failures/s", "bound/s"))
    for v, e in s["reconnect"].items():
        print("%-30s %9s %10s %10s" % (
            v, fmt(e["rate"]), fmt(e["fails_per_s"]), fmt(e["bound"])))
    f = s["fw2"]
    print()
    print("FIN_WAIT_2 scale: %s half-closed sockets, idle timeout %s ms:"
          " aborted %s, tracked %s (fewest in a round); lateness p50 %s,"
          " p99 %s, max %s ms" % (
              fmt(f["n"], 0), fmt(f["idle_ms"], 0), fmt(f["aborted_min"], 0),
              fmt(f["tracked_min"], 0), fmt(f["late_p50_ms"]),
              fmt(f["late_p99_ms"]), fmt(f["late_max_ms"])))
    print("  slab bytes per socket at half-close: off %s, tracked %s:"
          " module %s per tracked socket; grew: %s" % (
              fmt(f["bytes_per_sock_off"]), fmt(f["bytes_per_sock_all"]),
              fmt(f["module_bytes_per_tracked_sock"]),
              ", ".join("%s %s" % (c, fmt(v)) for c, v in
                        sorted(f["caches_all"].items(),
                               key=lambda x: -(x[1] or 0)))))


result = {"profile": profile,
          "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
          "kernels": {}}
ok = True
for series, path in kernels:
    recs, problems = load(path)
    k = analyse(series, recs, problems)
    result["kernels"][series] = k
    if k["records"]:
        show(series, k)
    if k["problems"]:
        ok = False
        print()
        print("# bench %s: %d problem(s):" % (series, len(k["problems"])))
        for p in k["problems"][:20]:
            print("#   " + p)
result["ok"] = ok
with open(out_path, "w") as f:
    json.dump(result, f, indent=1)
print()
print("# bench: results in %s: %s" % (
    out_path, "well-formed" if ok else "INCOMPLETE"))
sys.exit(0 if ok else 1)
PY
