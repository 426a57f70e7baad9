#!/usr/bin/env python3
"""bench/tools/report.py -- the markdown report of one bench/run.

Reads the raw per-run rows (TSV written by bench/run) and the memory log, and
prints: the machine and load, one table per workload and case (median TPS,
mean latency, each variant's ratio to the others), the 13-clients comparison,
the memory check, the cost per chunk of store_chunks against
store_section_result, the cost of the table/column mapping against earlier
builds, and the targets (met / not met, with figures).
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
from collections import OrderedDict

ORDER = ["A", "B", "C", "D", "D-packed", "section-1", "chunks-1", "section-20", "chunks-20",
         "current", "current-mapped", "current-mapped-types"]
NAMES = {
    "A": "A client-side transaction",
    "B": "B one CTE statement",
    "C": "C PL/pgSQL function",
    "D": "D leadstore, real[] text",
    "D-packed": "D-packed leadstore, bytea",
    "section-1": "store_section_result, 1 chunk, packed",
    "chunks-1": "store_chunks, 1 chunk, packed",
    "section-20": "store_section_result, 20 chunks, packed",
    "chunks-20": "store_chunks, 20 chunks, packed",
    "current": "current build, default (empty) mappings, reference tables",
    "current-mapped": "current build, full mapping (app-shaped names, same types)",
    "current-mapped-types": "current build, full mapping, timestamp + text JSON",
}


def vname(v):
    if v.startswith("base-"):
        return "baseline build %s, reference tables" % v[5:]
    return NAMES.get(v, v)
WORKLOADS = {
    "store1": "store_section_result, 1 chunk x 3072 floats",
    "store20": "store_section_result, 20 chunks x 3072 floats in one call",
    "store13": "13 clients: the 13 sections of one lead vs 13 different leads (1 chunk each)",
    "cms": "select_cms",
    "perchunk": "cost per chunk: D-packed with 1 chunk and with 20 chunks, interleaved",
    "chunks": "store_chunks vs store_section_result (packed, 1 and 20 chunks), interleaved",
    "mapping": "mapping cost: current build with default and full mappings vs earlier builds, interleaved",
}
CASES = {
    "c1-off": "1 client, synchronous_commit off",
    "c8-off": "8 clients, synchronous_commit off",
    "c1-on": "1 client, synchronous_commit on",
    "c8-one-lead": "8 clients on one lead, synchronous_commit off",
    "one-lead": "13 clients on the 13 sections of one lead, synchronous_commit off",
    "13-leads": "13 clients on 13 different leads, synchronous_commit off",
    "1-chunk": "1 client, synchronous_commit off, 1 chunk",
    "20-chunks": "1 client, synchronous_commit off, 20 chunks",
    "store1-packed": "store_section_result, 1 chunk, packed; 1 client, synchronous_commit off",
    "cms": "select_cms; 1 client, synchronous_commit off",
}


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1024 / 1024)
    try:
        ver = subprocess.run(["/usr/lib/postgresql/15/bin/postgres", "--version"],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        ver = "?"
    return os.cpu_count(), cpu, mem, ver


def load(path):
    data = OrderedDict()
    with open(path) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            key = (row["workload"], row["case"])
            data.setdefault(key, OrderedDict()).setdefault(row["variant"], []).append(row)
    return data


def med(rows, field):
    vals = [float(r[field]) for r in rows if r["status"] == "ok" and r.get(field)]
    return statistics.median(vals) if vals else None


def fmt(x, nd=1):
    return "n/a" if x is None else ("%.*f" % (nd, x))


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def case_table(variants):
    present = [v for v in ORDER if v in variants] + sorted(v for v in variants if v not in ORDER)
    tps = {v: med(variants[v], "tps") for v in present}
    cpu = {v: med(variants[v], "cpu_us") for v in present}
    has_cpu = any(c is not None for c in cpu.values())
    out = []
    hdr = "| variant | median TPS | mean latency (ms) | TPS per round | failed txns |"
    if has_cpu:
        hdr += " backend CPU per call (us, median) |"
    hdr += "".join(" vs %s |" % v for v in present)
    out.append(hdr)
    out.append("|" + " --- |" * (5 + has_cpu + len(present)))
    for v in present:
        rows = variants[v]
        per_round = " / ".join(fmt(float(r["tps"])) + ("" if r["status"] == "ok" else "!")
                               for r in rows)
        failed = sum(int(r["failed"] or 0) for r in rows)
        line = "| %s | %s | %s | %s | %d |" % (vname(v), fmt(tps[v]),
                                               fmt(med(rows, "latency_ms"), 3), per_round, failed)
        if has_cpu:
            line += " %s |" % fmt(cpu[v], 1)
        for w in present:
            cell = "-" if w == v else fmt(ratio(tps[v], tps[w]), 2) + "x"
            if w != v and has_cpu:
                cell += " (CPU %sx)" % fmt(ratio(cpu[w], cpu[v]), 2)
            line += " %s |" % cell
        out.append(line)
    return out, tps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--memory")
    ap.add_argument("--memory-calls", type=int, default=0)
    ap.add_argument("--command", default="bench/run")
    ap.add_argument("--secs", default="?")
    ap.add_argument("--rounds", default="?")
    ap.add_argument("--load-before", default="?")
    ap.add_argument("--load-after", default="?")
    ap.add_argument("--elapsed", default="?")
    ap.add_argument("--build", default="?")
    a = ap.parse_args()

    data = load(a.raw)
    ncpu, cpu, mem, ver = machine()
    p = print
    p("# leadstore benchmark: %s" % os.path.basename(a.raw).replace(".tsv", ""))
    p()
    p("- machine: %s CPUs (%s), %s RAM; %s" % (ncpu, cpu, mem, ver))
    mode = "prepared" if " -M prepared" in a.command else "extended"
    p("- command: `%s`; pgbench -M %s -n over TCP 127.0.0.1, -T %s s per run, "
      "%s interleaved round(s); median over rounds" % (a.command, mode, a.secs, a.rounds))
    p("- build measured: %s" % a.build)
    p("- cluster: fsync on, full_page_writes on, shared_buffers 1GB; synchronous_commit "
      "set per run (PGOPTIONS)")
    p("- load average (1/5/15 min) before: %s, after: %s; elapsed %s s. Other sessions "
      "may run test suites on this machine at the same time: compare ratios within a "
      "table (interleaved runs), not absolute figures across runs." % (a.load_before, a.load_after, a.elapsed))
    p()

    tpsmap = {}
    cpumap = {}
    for (wl, case), variants in data.items():
        p("## %s: %s" % (WORKLOADS.get(wl, wl), CASES.get(case, case)))
        p()
        lines, tps = case_table(variants)
        for line in lines:
            p(line)
        loads = [float(r["load1"]) for rows in variants.values() for r in rows if r.get("load1")]
        if loads:
            p()
            p("Load average (1 min) at the end of these runs: %.2f to %.2f (median %.2f) on %s CPUs."
              % (min(loads), max(loads), statistics.median(loads), os.cpu_count()))
        p()
        for v, t in tps.items():
            tpsmap[(wl, case, v)] = t
        for v in variants:
            cpumap[(wl, case, v)] = med(variants[v], "cpu_us")

    # 13 clients: one lead vs 13 leads
    if any(k[0] == "store13" for k in tpsmap):
        p("## 13 clients: one lead / 13 leads")
        p()
        p("| variant | one lead TPS | 13 leads TPS | ratio |")
        p("| --- | --- | --- | --- |")
        for v in ORDER:
            one = tpsmap.get(("store13", "one-lead", v))
            many = tpsmap.get(("store13", "13-leads", v))
            if one is not None or many is not None:
                p("| %s | %s | %s | %sx |" % (NAMES[v], fmt(one), fmt(many), fmt(ratio(one, many), 2)))
        p()

    # memory
    mem_growth = {}
    if a.memory and os.path.exists(a.memory) and os.path.getsize(a.memory) > 0:
        rows = [line.rstrip("\n").split("\t") for line in open(a.memory) if line.strip()]
        p("## Memory: one backend, %d calls (sum of pg_backend_memory_contexts.total_bytes, "
          "measured inside that backend)" % a.memory_calls)
        p()
        p("| function | before 1st call | after 1 | after 1,000 | after last | last call # | "
          "growth from before 1st call | growth after call 1,000 |")
        p("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for what in OrderedDict((r[0], None) for r in rows):
            pts = {int(r[1]): int(r[2]) for r in rows if r[0] == what}
            pids = {r[3] for r in rows if r[0] == what}
            last = max(pts)
            g0 = pts[last] - pts.get(0, pts[min(pts)])
            g1k = pts[last] - pts[1000] if 1000 in pts else None
            mem_growth[what] = (g0, last, len(pids))
            p("| %s | %d | %s | %s | %d | %d | %+d B (%.3f MB) | %s |" % (
                "store_section_result" if what == "store" else "select_cms" if what == "cms" else what,
                pts.get(0, -1), pts.get(1, "n/a"), pts.get(1000, "n/a"), pts[last], last,
                g0, g0 / 1048576, "n/a" if g1k is None else "%+d B" % g1k))
        p()
        p("All points of one function come from one backend (pids seen: %s)." %
          ", ".join("%s: %d" % (w, v[2]) for w, v in mem_growth.items()))
        p()

    def t(wl, case, v):
        return tpsmap.get((wl, case, v))

    def c(wl, case, v):
        return cpumap.get((wl, case, v))

    def per_round(wl, case, v, field="tps"):
        rows = data.get((wl, case), {}).get(v, [])
        out = {}
        for r in rows:
            if r["status"] == "ok" and r.get(field) and float(r[field]) > 0:
                out[r["round"]] = float(r[field]) if field == "tps" else 1e6 / float(r[field])
        return out

    def paired_fn(wl, case, vs, fn, field="tps"):
        """median over rounds of fn(tps of each variant in vs, same round);
        field cpu_us: calls per CPU second in place of TPS"""
        rounds = [per_round(wl, case, v, field) for v in vs]
        keys = set(rounds[0]).intersection(*rounds[1:]) if rounds else set()
        vals = [fn(*[rr[k] for rr in rounds]) for k in sorted(keys)]
        return (statistics.median(vals), len(vals)) if vals else (None, 0)

    # store_chunks against store_section_result, cost per chunk
    chunks = {}
    if ("chunks", "c1-off") in data:
        s1, k1, s20, k20 = (t("chunks", "c1-off", v) for v in ("section-1", "chunks-1", "section-20", "chunks-20"))
        p("## Cost per chunk: store_chunks against store_section_result (packed, 1 client, synchronous_commit off)")
        p()
        p("| function | 1-chunk call (ms) | 20-chunk call (ms) | per chunk of the 20-chunk call (ms) | marginal chunk (ms) |")
        p("| --- | --- | --- | --- | --- |")
        for label, one, twenty in (("store_section_result", s1, s20), ("store_chunks", k1, k20)):
            if one and twenty:
                p("| %s | %.3f | %.3f | %.3f | %.3f |" % (label, 1000 / one, 1000 / twenty, 1000 / twenty / 20,
                                                        1000 * (1 / twenty - 1 / one) / 19))
        if s1 and k1 and s20 and k20:
            per = s20 / k20
            marg = (1 / k20 - 1 / k1) / (1 / s20 - 1 / s1)
            pper, n = paired_fn("chunks", "c1-off", ("section-20", "chunks-20"), lambda a, b: a / b)
            pmarg, _ = paired_fn("chunks", "c1-off", ("section-1", "chunks-1", "section-20", "chunks-20"),
                                 lambda a1, b1, a20, b20: (1 / b20 - 1 / b1) / (1 / a20 - 1 / a1))
            chunks = {"per": per, "pper": pper, "marg": marg, "pmarg": pmarg, "n": n}
            p("| store_chunks / store_section_result | %.2fx | %.2fx | **%.2fx** (median of per-round ratios %s, %d rounds) "
              "| %.2fx (per-round %s) |" % (
                  (1 / k1) / (1 / s1), per, per, fmt(pper, 2) + "x", n, marg, fmt(pmarg, 2) + "x"))
        cs1, ck1, cs20, ck20 = (c("chunks", "c1-off", v) for v in ("section-1", "chunks-1", "section-20", "chunks-20"))
        if cs1 and ck1 and cs20 and ck20:
            pc, n = paired_fn("chunks", "c1-off", ("section-20", "chunks-20"), lambda a, b: a / b, "cpu_us")
            chunks["cpu"] = ck20 / cs20
            chunks["pcpu"] = pc
            p("| backend CPU (ms): store_section_result | %.3f | %.3f | %.3f | %.3f |" % (
                cs1 / 1000, cs20 / 1000, cs20 / 20000, (cs20 - cs1) / 19000))
            p("| backend CPU (ms): store_chunks | %.3f | %.3f | %.3f | %.3f |" % (
                ck1 / 1000, ck20 / 1000, ck20 / 20000, (ck20 - ck1) / 19000))
            p("| backend CPU: store_chunks / store_section_result | %.2fx | %.2fx | **%.2fx** (per-round %s) | %.2fx |" % (
                ck1 / cs1, ck20 / cs20, ck20 / cs20, fmt(pc, 2) + "x", (ck20 - ck1) / (cs20 - cs1)))
        p()
        p("A ratio above 1 means store_chunks costs more per chunk. The marginal chunk is "
          "(20-chunk call - 1-chunk call) / 19.")
        p()

    # mapping cost
    mapping = {}
    cases = [c for (w, c) in data if w == "mapping"]
    if cases:
        p("## Mapping cost: current build vs earlier builds (1 client, synchronous_commit off)")
        p()
        for case in cases:
            variants = data[("mapping", case)]
            names = [v for v in ORDER if v in variants] + sorted(v for v in variants if v not in ORDER)
            refs = [v for v in names if v == "current" or v.startswith("base-")]
            p("### %s" % CASES.get(case, case))
            p()
            has_cpu = any(c("mapping", case, v) for v in names)
            p("| variant | median TPS | rounds |" + (" backend CPU per call (us) |" if has_cpu else "")
              + "".join(" vs %s: TPS (paired)%s |" % (r, "; CPU (paired)" if has_cpu else "") for r in refs))
            p("|" + " --- |" * (3 + has_cpu + len(refs)))
            for v in names:
                line = "| %s | %s | %d |" % (vname(v), fmt(t("mapping", case, v)), len(per_round("mapping", case, v)))
                if has_cpu:
                    line += " %s |" % fmt(c("mapping", case, v), 1)
                for r in refs:
                    if r == v:
                        line += " - |"
                        continue
                    pr, _ = paired_fn("mapping", case, (v, r), lambda a, b: a / b)
                    cell = "%sx (%sx)" % (fmt(ratio(t("mapping", case, v), t("mapping", case, r)), 3), fmt(pr, 3))
                    cr = pcr = None
                    if has_cpu:
                        cr = ratio(c("mapping", case, r), c("mapping", case, v))
                        pcr, _ = paired_fn("mapping", case, (v, r), lambda a, b: a / b, "cpu_us")
                        cell += "; %sx (%sx)" % (fmt(cr, 3), fmt(pcr, 3))
                    line += " %s |" % cell
                    mapping[(case, v, r)] = (ratio(t("mapping", case, v), t("mapping", case, r)), pr, cr, pcr)
                p(line)
            p()
        p("Ratios above 1: the variant is faster (TPS) or uses less backend CPU per call (CPU: "
          "the other's CPU per call / this one's).")
        p()

    # targets
    p("## Targets (1 client, synchronous_commit off unless said)")
    p()
    p("| target | measured | met |")
    p("| --- | --- | --- |")

    def target(label, value, goal, fmtv, higher=True):
        if value is None:
            p("| %s | n/a | not measured |" % label)
            return
        ok = value >= goal if higher else value <= goal
        p("| %s | %s | %s |" % (label, fmtv(value), "met" if ok else "**not met**"))

    def paired(wl, case, v, w):
        """median over rounds of the ratio within one round (robust to drift)"""
        rows = data.get((wl, case), {})
        a = {r["round"]: float(r["tps"]) for r in rows.get(v, []) if r["status"] == "ok"}
        b = {r["round"]: float(r["tps"]) for r in rows.get(w, []) if r["status"] == "ok"}
        rs = [a[k] / b[k] for k in a if k in b and b[k] > 0]
        return statistics.median(rs) if rs else None

    def rt(wl, case, v, w, goal, label):
        value = ratio(t(wl, case, v), t(wl, case, w))
        pr = paired(wl, case, v, w)
        cr = ratio(c(wl, case, w), c(wl, case, v))
        target(label, value, goal,
               lambda x: "%.2fx (median of per-round ratios %s)%s" % (
                   x, fmt(pr, 2) + "x", "" if cr is None else "; backend CPU per call %.2fx" % cr))

    rt("store1", "c1-off", "D", "A", 1.4, "store, text: D >= 1.4x A")
    rt("store1", "c1-off", "D", "C", 1.1, "store, text: D >= 1.1x C")
    rt("store1", "c1-off", "D-packed", "C", 2.0, "store, packed: D-packed >= 2.0x C (text)")
    rt("store1", "c1-off", "D-packed", "A", 2.5, "store, packed: D-packed >= 2.5x A")
    rt("cms", "c1-off", "D", "A", 2.5, "select_cms: D >= 2.5x A")
    rt("cms", "c1-off", "D", "C", 1.1, "select_cms: D >= 1.1x C")
    one = t("perchunk", "1-chunk", "D-packed")
    twenty = t("perchunk", "20-chunks", "D-packed")
    src = "perchunk workload, interleaved"
    if not (one and twenty):
        one = t("store1", "c1-off", "D-packed")
        twenty = t("store20", "c1-off", "D-packed")
        src = "store1 and store20 workloads, not interleaved"
    pr = None
    if src.startswith("perchunk"):
        a = {r["round"]: float(r["tps"]) for r in data.get(("perchunk", "1-chunk"), {}).get("D-packed", [])
             if r["status"] == "ok"}
        b = {r["round"]: float(r["tps"]) for r in data.get(("perchunk", "20-chunks"), {}).get("D-packed", [])
             if r["status"] == "ok"}
        rs = [a[k] / (b[k] * 20) for k in a if k in b and b[k] > 0]
        pr = statistics.median(rs) if rs else None
    if one and twenty:
        per_chunk = (1 / twenty) / 20 / (1 / one)
        marginal = ((1 / twenty) - (1 / one)) / 19 / (1 / one)
        target("20-chunk packed call: cost per chunk <= 40%% of a 1-chunk call "
               "(%s: 1-chunk %.3f ms, 20-chunk %.3f ms; marginal chunk %.0f%%)"
               % (src, 1000 / one, 1000 / twenty, 100 * marginal),
               per_chunk, 0.40, lambda v: "%.0f%%%s" % (100 * v, "" if pr is None else
                                                         " (median of per-round ratios %.0f%%)" % (100 * pr)),
               higher=False)
    else:
        target("20-chunk packed call: cost per chunk <= 40% of a 1-chunk call", None, 0, str)
    for v in ("D", "D-packed"):
        target("13 clients, one lead >= 0.8x 13 leads (%s)" % v,
               ratio(t("store13", "one-lead", v), t("store13", "13-leads", v)), 0.8,
               lambda x: "%.2fx" % x)
    if chunks:
        target("store_chunks: cost per chunk of a 20-chunk packed call <= 1.05x store_section_result's "
               "(the same within noise; %d rounds)" % chunks["n"], chunks["per"], 1.05,
               lambda x: "%.2fx (median of per-round ratios %s; marginal chunk %.2fx)%s" % (
                   x, fmt(chunks["pper"], 2) + "x", chunks["marg"],
                   "; backend CPU %.2fx (per-round %sx)" % (chunks["cpu"], fmt(chunks["pcpu"], 2))
                   if "cpu" in chunks else ""), higher=False)
    for (case, v, r), (value, pr, cr, pcr) in mapping.items():
        if v.startswith("current") and r.startswith("base-"):
            target("mapping, %s: %s >= 0.97x %s" % (case, v, r), value, 0.97,
                   lambda x, pr=pr, cr=cr, pcr=pcr: "%.3fx (median of per-round ratios %sx)%s" % (
                       x, fmt(pr, 3), "" if cr is None else "; backend CPU %.3fx (per-round %sx)" % (cr, fmt(pcr, 3))))
    for what, (g0, last, _) in mem_growth.items():
        target("memory: %d calls of %s grow the backend < 1 MB" % (
            last, "store_section_result" if what == "store" else "select_cms"),
            g0 / 1048576, 1.0, lambda v: "%+.3f MB" % v, higher=False)
    p()


if __name__ == "__main__":
    sys.exit(main())
