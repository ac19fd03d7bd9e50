#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Check etrace --json output on stdin against the schema in docs/json.md.

    json_check.py [-f KEY,KEY...] [--kstack] [--ustack] [--lost N] < output

Every line must be strict UTF-8 and one JSON object (no duplicate keys, no
NaN or Infinity, integers as integers); events must have exactly the keys
and types the schema gives, and one "end" object must come last, with
counts that match the events printed. --kstack/--ustack: every event has
that stack (an array of frames). --lost N: the end object says N were lost.

Prints, for each event, "event " and the keys named by -f as compact JSON
in that order (ASCII only: other characters as \\uXXXX, so that case files
can match them), then the end object as "end {...}", then
"valid: N events, 1 end". A violation prints "json_check: line N: why" and
exits 1.
"""

import argparse
import json
import os
import re
import sys
import time

ADDR = re.compile(r"^0x[0-9a-f]+$")
EVENT_KEYS = ["type", "time", "unix_ns", "cpu", "pid", "tid", "comm", "probe",
              "spec", "func", "msg", "args"]
OPTIONAL_KEYS = ["truncated", "kstack", "kstack_error", "ustack", "ustack_error"]
END_KEYS = ["type", "reason", "probes", "events", "printed", "lost"]
PROBE_KEYS = ["probe", "spec", "events", "printed", "lost"]
REASONS = {"signal", "max-events", "process-exited", "error"}
U64 = 1 << 64
RAW_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


class Bad(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Bad(why)


def is_int(v, lo=0, hi=U64 - 1):
    return type(v) is int and lo <= v <= hi


def no_dups(pairs):
    keys = [k for k, _ in pairs]
    need(len(keys) == len(set(keys)), "duplicate key in %r" % keys)
    return dict(pairs)


def no_constant(name):
    raise Bad("non-standard JSON constant " + name)


def check_frame(f, what):
    need(type(f) is dict and list(f) == ["addr", "sym", "offset", "module"],
         "%s: keys %r" % (what, list(f) if type(f) is dict else f))
    need(type(f["addr"]) is str and ADDR.match(f["addr"]), what + ": addr")
    need(f["sym"] is None or type(f["sym"]) is str, what + ": sym")
    need((f["offset"] is None) == (f["sym"] is None), what + ": offset without sym")
    need(f["offset"] is None or is_int(f["offset"]), what + ": offset")
    need(f["module"] is None or type(f["module"]) is str, what + ": module")
    need(f["module"] is not None or f["sym"] is None, what + ": sym without module")


def check_stack(ev, key, required):
    if key not in ev:
        need(not required, "no " + key)
        need(key + "_error" not in ev, key + "_error without " + key)
        return
    if ev[key] is None:
        need(type(ev.get(key + "_error")) is str, key + " null without " + key + "_error")
        return
    need(key + "_error" not in ev, key + "_error with a stack")
    need(type(ev[key]) is list, key + " is no array")
    for i, f in enumerate(ev[key]):
        check_frame(f, "%s[%d]" % (key, i))


def check_value(v, i):
    if type(v) is dict:
        check_frame(v, "args[%d]" % i)
    else:
        need(type(v) is str or is_int(v, -(1 << 63)), "args[%d]: %r" % (i, v))


def check_event(ev, opts, now):
    keys = list(ev)
    need(keys[:len(EVENT_KEYS)] == EVENT_KEYS, "keys %r" % keys)
    rest = keys[len(EVENT_KEYS):]
    need(rest == [k for k in OPTIONAL_KEYS if k in rest], "extra keys %r" % rest)
    for k in ("time", "unix_ns", "cpu", "pid", "tid", "probe"):
        need(is_int(ev[k]), k + " is no unsigned integer")
    need(ev["cpu"] < (os.cpu_count() or 1), "cpu %d" % ev["cpu"])
    need(ev["pid"] < 1 << 32 and ev["tid"] < 1 << 32, "pid/tid range")
    need(ev["probe"] >= 1, "probe index is 1-based")
    # Events of this run: within ten minutes of now, on both clocks, and
    # unix_ns - time is what the wall clock is ahead of the monotonic one.
    mono, wall = now
    need(abs(ev["time"] - mono) < 600 * 10**9, "time far from CLOCK_MONOTONIC now")
    need(abs(ev["unix_ns"] - wall) < 600 * 10**9, "unix_ns far from now")
    need(abs((ev["unix_ns"] - ev["time"]) - (wall - mono)) < 10**9, "unix_ns - time")
    for k in ("comm", "spec", "func", "msg"):
        need(type(ev[k]) is str, k + " is no string")
    need(len(ev["comm"].encode("utf-8", "surrogatepass")) <= 3 * 15, "comm too long")
    need(type(ev["args"]) is list, "args is no array")
    for i, v in enumerate(ev["args"]):
        check_value(v, i)
    if "truncated" in ev:
        t = ev["truncated"]
        need(type(t) is list and t and t == sorted(set(t)), "truncated: %r" % t)
        for i in t:
            need(is_int(i) and i < len(ev["args"]) and type(ev["args"][i]) is str,
                 "truncated names no string: %r" % i)
    check_stack(ev, "kstack", opts.kstack)
    check_stack(ev, "ustack", opts.ustack)


def check_end(end, events):
    need(list(end) == END_KEYS, "end keys %r" % list(end))
    need(end["reason"] in REASONS, "reason %r" % end["reason"])
    need(type(end["probes"]) is list and end["probes"], "probes")
    total = {"events": 0, "printed": 0, "lost": 0}
    for i, p in enumerate(end["probes"]):
        need(type(p) is dict and list(p) in (PROBE_KEYS, PROBE_KEYS + ["not_timed"]),
             "probes[%d] keys" % i)
        need("not_timed" not in p or is_int(p["not_timed"]), "probes[%d].not_timed" % i)
        need(p["probe"] == i + 1 and type(p["spec"]) is str, "probes[%d]" % i)
        for k in total:
            need(is_int(p[k]), "probes[%d].%s" % (i, k))
            total[k] += p[k]
        mine = [e for e in events if e["probe"] == p["probe"]]
        need(p["printed"] == len(mine),
             "probe %d: printed %d, %d event lines" % (i + 1, p["printed"], len(mine)))
        need(p["events"] >= p["printed"], "probe %d: more printed than seen" % (i + 1))
        need(all(e["spec"] == p["spec"] for e in mine), "probe %d: spec differs" % (i + 1))
    for k in total:
        need(end[k] == total[k], "end.%s is not the sum" % k)
    need(all(1 <= e["probe"] <= len(end["probes"]) for e in events), "unknown probe")


def walk_strings(v):
    if type(v) is str:
        yield v
    elif type(v) is list:
        for x in v:
            yield from walk_strings(x)
    elif type(v) is dict:
        for k, x in v.items():
            yield k
            yield from walk_strings(x)


def check_text(text, obj):
    # What etrace must have escaped: DEL, C1 controls, U+2028/U+2029.
    need(not RAW_UNSAFE.search(text), "unescaped DEL, C1 control or U+2028/9")
    for s in walk_strings(obj):
        try:
            s.encode("utf-8", "strict")
        except UnicodeEncodeError:
            raise Bad("a lone surrogate in %r" % s)


AGG_KEYS = ["type", "interval_end", "probe", "spec", "pid", "comm", "func", "msg", "args",
            "truncated", "kstack", "kstack_error", "ustack", "ustack_error", "count", "hist"]
AGG_NEEDED = ["type", "probe", "spec", "func", "msg", "args", "count"]


def check_aggregate(obj):
    keys = list(obj)
    need(all(k in AGG_KEYS for k in keys), "aggregate keys %r" % keys)
    need(keys == sorted(keys, key=AGG_KEYS.index), "aggregate key order %r" % keys)
    need(all(k in obj for k in AGG_NEEDED), "aggregate misses keys: %r" % keys)
    need(is_int(obj["probe"]) and obj["probe"] >= 1, "aggregate probe")
    need(is_int(obj["count"]) and obj["count"] >= 1, "aggregate count")
    need(type(obj["msg"]) is str and type(obj["args"]) is list, "aggregate msg/args")
    if "hist" in obj:
        h = obj["hist"]
        need(list(h) == ["kind", "buckets", "sum", "min", "max"], "hist keys %r" % list(h))
        need(h["kind"] in ("log2", "linear"), "hist kind")
        total = 0
        for b in h["buckets"]:
            need(list(b) == ["min", "max", "count"], "bucket keys %r" % list(b))
            need(all(b[k] is None or is_int(b[k]) for k in ("min", "max")), "bucket bounds")
            need(b["min"] is None or b["max"] is None or b["min"] < b["max"], "bucket range")
            need(is_int(b["count"]) and b["count"] > 0, "bucket count")
            total += b["count"]
        need(total == obj["count"], "buckets add up to %d, count %d" % (total, obj["count"]))
        need(all(is_int(h[k]) for k in ("sum", "min", "max")), "hist sums")


def dump(v):
    return json.dumps(v, ensure_ascii=True, separators=(", ", ": "))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-f", "--fields", default="")
    ap.add_argument("--kstack", action="store_true")
    ap.add_argument("--ustack", action="store_true")
    ap.add_argument("--lost", type=int, help="the end object's lost count must be this")
    opts = ap.parse_args()
    fields = [f for f in opts.fields.split(",") if f]
    data = sys.stdin.buffer.read()
    now = (time.clock_gettime_ns(time.CLOCK_MONOTONIC), time.time_ns())
    events, end, n, aggregates = [], None, 0, 0
    try:
        need(not data or data.endswith(b"\n"), "the last line has no newline")
        for n, raw in enumerate(data.splitlines(), 1):
            text = raw.decode("utf-8", "strict")
            obj = json.loads(text, object_pairs_hook=no_dups, parse_constant=no_constant)
            need(type(obj) is dict, "not an object")
            check_text(text, obj)
            need(end is None, "a line after the end object")
            if obj.get("type") == "event":
                check_event(obj, opts, now)
                events.append(obj)
                print("event " + dump({k: obj[k] for k in fields if k in obj}))
            elif obj.get("type") == "aggregate":
                check_aggregate(obj)
                aggregates += 1
                print("aggregate " + dump({k: obj[k] for k in fields if k in obj}))
            elif obj.get("type") == "end":
                check_end(obj, events)
                need(opts.lost is None or obj["lost"] == opts.lost,
                     "lost %d, expected %s" % (obj["lost"], opts.lost))
                end = obj
                print("end " + dump(obj))
            else:
                raise Bad("type %r" % obj.get("type"))
        n += 1
        need(end is not None, "no end object")
    except (Bad, ValueError) as e:
        print("json_check: line %d: %s" % (n, e))
        return 1
    if aggregates:
        print("valid: %d events, %d aggregates, 1 end" % (len(events), aggregates))
    else:
        print("valid: %d events, 1 end" % len(events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
