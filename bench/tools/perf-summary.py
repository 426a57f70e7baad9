#!/usr/bin/env python3
"""bench/tools/perf-summary.py -- where one backend's CPU time went.

Reads `perf script` output of a `perf record --call-graph dwarf -p <backend>`
and prints (1) exclusive buckets that add up to 100 % of the samples: each
sample goes to the first bucket whose symbols appear in its call chain, in
the order below (so TOAST work inside the leadstore function counts as TOAST,
not as "leadstore, other"); (2) the top functions by self time.

Usage: perf script -i perf.data | bench/tools/perf-summary.py
		[--ms-per-call X --secs S --hz F]
With the wall time per call and the recording's length and frequency, it
also gives each bucket's backend CPU time per call.
"""
import re
import sys
from collections import Counter

# (label, symbols); a sample whose chain holds any of the symbols belongs to
# the first such bucket.  Order matters.
BUCKETS = [
    ("bind: real[] text input (array_in, float4in, strtof)",
     {"array_in", "float4in", "float4in_internal", "__GI_____strtof_l_internal",
      "____strtof_l_internal", "str_to_mpn.part.0.constprop.0"}),
    ("bind: bytea hex input (byteain)", {"byteain", "hex_decode"}),
    ("bind: jsonb/text[] input, encoding check of the parameters",
     {"OidInputFunctionCall", "pg_any_to_server", "pg_verify_mbstr", "exec_bind_message"}),
    ("parse the outer statement (pg_parse_query)", {"pg_parse_query", "raw_parser"}),
    ("analyze (parse_analyze_*)", {"pg_analyze_and_rewrite_varparams",
                                   "pg_analyze_and_rewrite_fixedparams", "parse_analyze_varparams"}),
    ("plan (pg_plan_queries)", {"pg_plan_queries", "pg_plan_query", "standard_planner"}),
    ("fn: TOAST of the embedding (toast_save_datum; old chunks: toast_delete_datum)",
     {"heap_toast_insert_or_update", "toast_save_datum", "toast_tuple_externalize",
      "heap_toast_delete", "toast_delete_datum"}),
    ("fn: foreign-key checks (AfterTriggerEndQuery, RI_FKey_check)",
     {"AfterTriggerEndQuery", "RI_FKey_check_ins", "RI_FKey_check_upd", "AfterTriggerFireDeferred"}),
    ("fn: index maintenance (ExecInsertIndexTuples)", {"ExecInsertIndexTuples"}),
    ("fn: ON CONFLICT arbiter check (ExecCheckIndexConstraints)", {"ExecCheckIndexConstraints"}),
    ("fn: WAL outside TOAST/indexes (XLogInsert)", {"XLogInsert", "XLogInsertRecord"}),
    ("fn: heap insert/update/delete, other", {"heap_insert", "heap_update", "heap_delete",
                                              "heap_lock_tuple", "ExecDelete", "ExecUpdate"}),
    ("fn: index scans (lead, delete, ON CONFLICT fetch)", {"index_getnext_slot", "index_getnext_tid",
                                                            "index_fetch_heap"}),
    ("fn: plan cache checks/replanning (GetCachedPlan)", {"GetCachedPlan", "RevalidateCachedQuery"}),
    ("fn: executor start/end per statement (ExecutorStart/End)",
     {"standard_ExecutorStart", "standard_ExecutorEnd", "ExecutorStart", "ExecutorEnd",
      "FreeExecutorState", "CreateExecutorState"}),
    ("fn: metadata jsonb (JsonbValueToJsonb, pushJsonbValue)", {"JsonbValueToJsonb", "pushJsonbValue",
                                                                "jsonb_build_object"}),
    ("fn: leadstore / PL/pgSQL, other", {"leadstore_store_section_result", "leadstore_select_cms",
                                         "plpgsql_call_handler", "plpgsql_exec_function"}),
    ("executor, other (PortalRun)", {"PortalRun"}),
    ("commit (CommitTransactionCommand)", {"CommitTransactionCommand", "CommitTransaction",
                                           "finish_xact_command"}),
    ("client I/O (pq_*, secure_read/write)", {"pq_getbyte", "pq_getmessage", "secure_read", "secure_write",
                                            "pq_flush", "internal_flush", "pq_getbytes", "ReadCommand"}),
]


def parse(stream):
    frames = None
    for line in stream:
        if not line.strip():
            if frames:
                yield frames
            frames = None
            continue
        if not line[0].isspace():
            frames = []
            continue
        if frames is None:
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            continue
        rest = parts[1]
        sym = rest.rsplit(" (", 1)[0]
        dso = rest.rsplit(" (", 1)[1].rstrip(")\n") if " (" in rest else ""
        sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
        if sym == "[unknown]":
            sym = "[unknown %s]" % dso.rsplit("/", 1)[-1]
        frames.append(sym)
    if frames:
        yield frames


def main():
    def opt(name):
        return float(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else None
    ms, secs, hz = opt("--ms-per-call"), opt("--secs"), opt("--hz")
    buckets = Counter()
    leaf = Counter()
    bucket_leaf = {}
    n = 0
    for frames in parse(sys.stdin):
        n += 1
        leaf[frames[0]] += 1
        chain = set(frames)
        for label, syms in BUCKETS:
            if chain & syms:
                break
        else:
            if any(f.startswith("[unknown vmlinux") or f.startswith("entry_SYSCALL") for f in frames):
                label = "kernel, other"
            else:
                label = "other"
        buckets[label] += 1
        # the innermost frame with a name, for the per-bucket detail
        named = next((f for f in frames if not f.startswith("[unknown")), frames[0])
        bucket_leaf.setdefault(label, Counter())[named] += 1
    if n == 0:
        print("no samples")
        return 1
    busy = None if not (ms and secs and hz) else min(1.0, n / (secs * hz))
    print("%d samples of the backend's CPU time%s" % (
        n, "" if busy is None else
        "; %.3f ms wall time per call at 1 client, backend on CPU %.0f%% of it: %.3f ms CPU per call"
        % (ms, 100 * busy, ms * busy)))
    print()
    print("| where (exclusive, first match in this order) | %% of samples |%s" % (
        "" if busy is None else " CPU ms per call |"))
    print("| --- | --- |%s" % ("" if busy is None else " --- |"))
    for label, _ in BUCKETS + [("kernel, other", None), ("other", None)]:
        if buckets[label]:
            share = 100.0 * buckets[label] / n
            print("| %s | %.1f |%s" % (label, share, "" if busy is None else " %.3f |" % (ms * busy * share / 100)))
    print()
    print("largest buckets, their top functions by self time (innermost named frame):")
    print("```")
    for label, c in buckets.most_common(4):
        print("%5.1f%%  %s" % (100.0 * c / n, label))
        for sym, k in bucket_leaf[label].most_common(6):
            print("        %5.1f%%  %s" % (100.0 * k / n, sym))
    print("```")
    print()
    print("top functions by self time:")
    print("```")
    for sym, c in leaf.most_common(20):
        print("%6.2f%%  %s" % (100.0 * c / n, sym))
    print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
