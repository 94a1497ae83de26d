"""report.py — turns realworld.py's results into docs/realworld.md, a JSON copy
of the figures, and two PNG plots drawn by gnuplot.

Every ratio is a build's median over the median of build 1 (glibc) measured in
the same invocation; nothing here is compared with an earlier run.
"""

import json
import os
import shutil
import subprocess
import tempfile

TITLES = {
    "glibc": "1 clang -O2 (glibc malloc)",
    "rt": "2 clang -O2 + escalloc runtime",
    "escc": "3 escc -O2",
    "attributor": "4 clang -O2 + Attributor",
    "mimalloc": "5 build 1 + mimalloc preloaded",
}
SHORT = {"glibc": "glibc", "rt": "runtime", "escc": "escc", "attributor": "Attributor",
         "mimalloc": "mimalloc"}


def ratio(res, base, key):
    if not res or not base or not res.get(key) or not base.get(key):
        return None
    return res[key] / base[key]


def fmt_ratio(x):
    return "—" if x is None else "%.2f×" % x


def fmt_count(x):
    if x is None:
        return "—"
    x = int(round(x))
    return "{:,}".format(x).replace(",", " ")


def tests_cell(res):
    if not res["built"]:
        return "**build failed**"
    if "passed" not in res:
        return "—"
    total = "?" if res.get("total") is None else res["total"]
    cell = "%s/%s" % (res["passed"], total)
    return cell if res.get("suite_ok") else "**%s FAIL**" % cell


def sites_cell(b, res):
    if not res["built"]:
        return "—"
    if b == "escc":
        r = res.get("remarks", {})
        cell = "%d / %d / %d" % (r.get("seen", 0), r.get("promoted", 0), r.get("lowered", 0))
        if r.get("removed"):
            cell += " (+%d removed as dead)" % r["removed"]
        return cell
    if b == "attributor" and res.get("h2s") is not None:
        return "— / %d¹ / —" % res["h2s"]
    return "—"


def code_sites_cell(res):
    cs = res.get("call_sites") if res["built"] else None
    if not cs:
        return "—"
    if cs.get("escalloc"):
        return "%d (+%d escalloc_*)" % (cs["malloc_family"], cs["escalloc"])
    return "%d" % cs["malloc_family"]


# The measured columns: (result key, header, how build 1's absolute value reads).
MEASURES = [
    ("cpu", "Test CPU", lambda v: "%.2f s" % v),
    ("wall", "Test wall", lambda v: "%.2f s" % v),
    ("rss_kib", "Peak RSS (largest process)", lambda v: "%.1f MiB" % (v / 1024)),
    ("rss_sum_kib", "Σ peak RSS (all processes)", lambda v: "%.0f MiB" % (v / 1024)),
    ("build_cpu", "Build CPU", lambda v: "%.1f s" % v),
]


def measure_cell(b, res, base, key, absolute):
    if not res["built"]:
        return "—"
    if key.startswith("build_") and res.get("same_binaries_as"):
        return "(build 1's)"
    if b == "glibc":
        return absolute(res[key]) if res.get(key) else "—"
    return fmt_ratio(ratio(res, base, key))


def table(results):
    rows = ["| Program | Build | Tests passed | Sites seen / promoted / lowered "
            "| Allocation calls in code | Dynamic allocations | %s |" % " | ".join(
                m[1] for m in MEASURES),
            "|---" * (6 + len(MEASURES)) + "|"]
    for p in results["programs"]:
        base = p["builds"].get("glibc")
        for b, res in p["builds"].items():
            allocs = res.get("allocs")
            rows.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                p["name"], TITLES[b], tests_cell(res), sites_cell(b, res), code_sites_cell(res),
                fmt_count(allocs["mallocs"]) if allocs else "—",
                " | ".join(measure_cell(b, res, base, key, absolute)
                           for key, _, absolute in MEASURES)))
    return "\n".join(rows)


def attributor_lines(results):
    out = []
    for p in results["programs"]:
        att = p["builds"].get("attributor")
        if not att or not att["built"] or att.get("h2s") is None:
            continue
        esc = p["builds"].get("escc") or {}
        promoted = (esc.get("remarks") or {}).get("promoted") if esc.get("built") else None
        calls = att["call_sites"]["malloc_family"]
        out.append("| %s | %d | %d | %d | %s |" % (
            p["name"], calls + att["h2s"], calls, att["h2s"],
            "—" if promoted is None else promoted))
    if not out:
        return ""
    return "\n".join(["| Program | allocation calls, build 4 without heap-to-stack | build 4 "
                      "| promoted by the Attributor | promoted by escc (remarks) |",
                      "|---|---|---|---|---|"] + out)


def reasons_lines(results):
    out = []
    for p in results["programs"]:
        esc = p["builds"].get("escc")
        if not esc or not esc["built"]:
            continue
        reasons = esc.get("remarks", {}).get("missed_by_reason", {})
        if reasons:
            top = sorted(reasons.items(), key=lambda kv: -kv[1])[:6]
            out.append("- **%s**: %s" % (p["name"], ", ".join("`%s` %d" % kv for kv in top)))
    return "\n".join(out)


def time_report_lines(tr):
    if not tr:
        return "Not measured in this run (`--time-report-runs 0`)."
    if tr.get("error"):
        return "Not measured: %s" % tr["error"].replace("\n", " ")
    share = tr["share"] * 100
    verdict = "under" if share < 3 else "**over**"
    lines = [
        "`escc -O2 -c sqlite3.c -ftime-report` on the %s-line amalgamation, median of %d runs: "
        "the plugin's passes and analyses (%s) take **%.2f%%** of the compile's CPU time "
        "(%.2f s of %.1f s), %s the 3%% target." % (
            "{:,}".format(tr["lines"]).replace(",", " "), tr["runs"],
            ", ".join("`%s`" % n for n in tr["passes"]) or "no timer named escalloc found",
            share, tr["plugin_cpu"], tr["escc_cpu"], verdict),
    ]
    if tr.get("clang_cpu"):
        lines.append("")
        lines.append("Whole-compile CPU time (front-end timer), `escc -O2 -c` over "
                     "`clang-19 -O2 -c`, both with `-ftime-report`, medians of the same "
                     "interleaved runs (includes what lowering changes downstream): %.3f× "
                     "(%.1f s vs %.1f s)." % (tr["escc_cpu"] / tr["clang_cpu"], tr["escc_cpu"],
                                             tr["clang_cpu"]))
    lines.append("")
    lines.append("Per-run shares: " + ", ".join("%.2f%%" % (s * 100) for s in tr["shares"]))
    return "\n".join(lines)


def machine_lines(results):
    m = results["machine"]
    return ("%s, %d cores, %.0f GiB RAM; %s, Linux %s, glibc %s; %s.  Load average %.2f at the "
            "start and %.2f at the end (the machine is shared: CPU-time ratios are the steadier "
            "figures)." % (m["cpu"], m["cores"], m["mem_gib"], m["os"], m["kernel"], m["glibc"],
                           m["clang"], m["loadavg_start"], m.get("loadavg_end", 0.0)))


def headline(results):
    """The few sentences at the top of the report, computed from the figures."""
    progs = results["programs"]
    out = []
    for b in results["builds"]:
        runs = [p["builds"][b] for p in progs if b in p["builds"]]
        ok = [p["name"] for p in progs if p["builds"].get(b, {}).get("suite_ok")]
        bad = [p["name"] for p in progs if b in p["builds"] and p["name"] not in ok]
        out.append("- Build %s: %d of %d programs build and pass their whole suite%s." % (
            TITLES[b], len(ok), len(runs), (" (not: %s)" % ", ".join(bad)) if bad else ""))
    sites = [p["builds"]["escc"].get("remarks") for p in progs
             if p["builds"].get("escc", {}).get("built")]
    if sites:
        out.append("- escc promoted %d of the %d allocation sites its remarks name, and lowered %d "
                   "to `mallocgc`." % (sum(r["promoted"] for r in sites),
                                       sum(r["seen"] for r in sites),
                                       sum(r["lowered"] for r in sites)))
    cpu = []
    for p in progs:
        esc = p["builds"].get("escc")
        if not (esc and esc.get("suite_ok")):
            continue
        vs = ["%.2f× glibc's" % ratio(esc, p["builds"].get("glibc"), "cpu")
              if ratio(esc, p["builds"].get("glibc"), "cpu") else None,
              "%.2f× mimalloc's" % ratio(esc, p["builds"].get("mimalloc"), "cpu")
              if ratio(esc, p["builds"].get("mimalloc"), "cpu") else None]
        vs = [v for v in vs if v]
        if vs:
            cpu.append("%s %s" % (p["name"], " and ".join(vs)))
    if cpu:
        out.append("- Test CPU of the escc build (target: at most 1.00× of both): "
                   + "; ".join(cpu) + ".")
    h2s = [p["builds"]["attributor"].get("h2s") for p in progs
           if p["builds"].get("attributor", {}).get("built")]
    h2s = [x for x in h2s if x is not None]
    if h2s:
        out.append("- LLVM's Attributor removed %d allocation calls by heap-to-stack in the same "
                   "programs." % sum(h2s))
    saved = []
    for p in progs:
        a2 = p["builds"].get("rt", {}).get("allocs")
        a3 = p["builds"].get("escc", {}).get("allocs")
        if a2 and a3:
            diff = a3["mallocs"] - a2["mallocs"]
            spread = 0
            for b in ("rt", "escc"):
                counts = [r["allocs"]["mallocs"] for r in p["builds"][b].get("runs", [])
                          if r.get("allocs")]
                if counts:
                    spread = max(spread, max(counts) - min(counts))
            saved.append("%s %+d (%+.4f%%; runs of one build differ by up to %d)" % (
                p["name"], diff, 100.0 * diff / max(1, a2["mallocs"]), spread))
    if saved:
        out.append("- Dynamic allocations, escc against the runtime alone (medians): "
                   + ", ".join(saved) + ".  A difference within the run-to-run spread "
                   "(timing-dependent paths in the suites) is noise.")
    tr = results.get("time_report")
    if tr and not tr.get("error"):
        out.append("- The plugin takes %.2f%% of the compile time of sqlite3.c (target: under 3%%)."
                   % (tr["share"] * 100))
    return "\n".join(out)


def summary_text(results):
    lines = []
    for p in results["programs"]:
        base = p["builds"].get("glibc")
        for b, res in p["builds"].items():
            allocs = res.get("allocs")
            lines.append("%-6s %-10s tests %-12s sites %-14s allocs %-11s cpu %-6s wall %-6s "
                         "rss %-6s build %s" % (
                             p["name"], b, tests_cell(res).replace("*", ""), sites_cell(b, res),
                             fmt_count(allocs["mallocs"]) if allocs else "—",
                             fmt_ratio(ratio(res, base, "cpu")),
                             fmt_ratio(ratio(res, base, "wall")),
                             fmt_ratio(ratio(res, base, "rss_kib")),
                             fmt_ratio(ratio(res, base, "build_cpu"))))
    tr = results.get("time_report")
    if tr and not tr.get("error"):
        lines.append("sqlite3.c: plugin share of compile time %.2f%% (median of %d)" % (
            tr["share"] * 100, tr["runs"]))
    elif tr:
        lines.append("sqlite3.c: " + tr["error"].splitlines()[0])
    return "\n".join(lines)


# --- plots -------------------------------------------------------------------------

FLAVOR_ABOUT = {
    "debian": "every build also gets Debian's `dpkg-buildflags` CPPFLAGS, CFLAGS and LDFLAGS "
              "(`-D_FORTIFY_SOURCE=2`, `-fstack-protector-strong`, format hardening, relro)",
    "lto": "every build also gets `-flto`, linked by lld",
}


def base_name(results):
    """realworld for plain -O2 builds, realworld-debian / realworld-lto for the
    other --flags flavours, so that one flavour's run never overwrites another's."""
    flavor = results.get("flavor", "plain")
    return "realworld" if flavor == "plain" else "realworld-" + flavor


def share(part, whole):
    return None if not whole or part is None else part / whole


def fmt_share(x):
    return "—" if x is None else "%.1f%%" % (100 * x)


def oracle_lines(results):
    """Per program: the oracle's frame and caller-frame shares, the share of
    dynamic allocations promotion removed (build 2's count minus build 3's, over
    build 2's), and achieved over each oracle share."""
    rows = []
    for p in results["programs"]:
        o = p.get("oracle")
        rt = ((p["builds"].get("rt") or {}).get("allocs") or {}).get("mallocs")
        es = ((p["builds"].get("escc") or {}).get("allocs") or {}).get("mallocs")
        achieved = share(rt - es, rt) if rt and es is not None else None
        frame = share(o["frame"], o["allocations"]) if o else None
        caller = share(o["caller"], o["allocations"]) if o else None
        rows.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            p["name"], fmt_count(o["allocations"]) if o else "—", fmt_share(frame),
            fmt_share(caller), fmt_share(achieved),
            fmt_share(share(achieved, frame)) if achieved is not None and frame else "—",
            fmt_share(share(achieved, caller)) if achieved is not None and caller else "—"))
    if not any(p.get("oracle") for p in results["programs"]):
        return ""
    return "\n".join([
        "| Program | Allocations (oracle run) | Frame-contained | Caller-frame-contained "
        "| Removed by promotion | Achieved / frame | Achieved / caller |",
        "|---|---:|---:|---:|---:|---:|---:|"] + rows)


def plot(results, docs, stem="realworld"):
    """Two PNGs: ratios against build 1 (test time, peak RSS, build time) and
    allocations (dynamic counts of builds 2 and 3; static sites of build 3)."""
    if not shutil.which("gnuplot"):
        return []
    tmp = tempfile.mkdtemp(prefix="rw-plot.")
    others = [b for b in results["builds"] if b != "glibc"]
    metrics = [("cpu", "Test-suite CPU time"), ("wall", "Test-suite wall time"),
               ("rss_kib", "Peak RSS, largest process"),
               ("rss_sum_kib", "Peak RSS summed over the processes"),
               ("build_cpu", "Build CPU time")]
    # No header lines: gnuplot's histograms would take one for a data row.
    with open(os.path.join(tmp, "ratios.dat"), "w") as f:
        for key, _ in metrics:
            for p in results["programs"]:
                base = p["builds"].get("glibc")
                vals = [ratio(p["builds"].get(b), base, key) for b in others]
                f.write("%s %s\n" % (p["name"], " ".join("NaN" if v is None else "%.4f" % v
                                                         for v in vals)))
            f.write("\n\n")
    with open(os.path.join(tmp, "allocs.dat"), "w") as f:
        for p in results["programs"]:
            a2 = (p["builds"].get("rt") or {}).get("allocs")
            a3 = (p["builds"].get("escc") or {}).get("allocs")
            saved = "NaN"
            if a2 and a3 and a2["mallocs"]:
                saved = "%.4f" % (100.0 * (a2["mallocs"] - a3["mallocs"]) / a2["mallocs"])
            f.write("%s %s %s %s\n" % (
                p["name"], "NaN" if not a2 else max(1, a2["mallocs"]),
                "NaN" if not a3 else max(1, a3["mallocs"]), saved))
        f.write("\n\n")
        for p in results["programs"]:
            r = (p["builds"].get("escc") or {}).get("remarks") or {}
            seen, pr, lo = r.get("seen", 0), r.get("promoted", 0), r.get("lowered", 0)
            f.write("%s %d %d %d\n" % (p["name"], pr, lo, max(0, seen - pr - lo)))
    panels = []
    for i, (key, title) in enumerate(metrics):
        # Only the first panel carries the legend.
        cols = ", ".join("'ratios.dat' index %d using %d%s %s" % (
            i, j + 2, ":xtic(1)" if j == 0 else "",
            "title '%s'" % SHORT[b] if i == 0 else "notitle") for j, b in enumerate(others))
        panels.append("set title '%s, ratio to build 1 (glibc), median of %d runs'\n"
                      "plot %s, 1 with lines lc rgb 'black' dt 2 notitle\n" % (
                          title, results["runs"], cols))
    ratios_png = os.path.join(docs, stem + "-ratios.png")
    script = """
set terminal pngcairo size 1100,1500 font 'DejaVu Sans,11'
set output '%s'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set yrange [0:*]
set key outside right top vertical
set datafile missing 'NaN'
set multiplot layout 5,1
%s
unset multiplot
""" % (ratios_png, "".join(panels))
    allocs_png = os.path.join(docs, stem + "-allocs.png")
    # Headroom above the tallest bar for its label (a decade on the log axis).
    counts = [a["mallocs"] for p in results["programs"] for b in ("rt", "escc")
              for a in [(p["builds"].get(b) or {}).get("allocs")] if a]
    ymax = 20 * max(counts + [10])
    script2 = """
set terminal pngcairo size 1100,800 font 'DejaVu Sans,11'
set output '%s'
set style data histograms
set style fill solid 0.85 border -1
set grid ytics
set datafile missing 'NaN'
set multiplot layout 2,1
set key outside right top vertical
set title 'Dynamic allocations reaching the runtime during the test suite (log scale); label: share escc avoided'
set style histogram clustered gap 1
set boxwidth 0.9
set logscale y
set yrange [1:%g]
plot 'allocs.dat' index 0 using 2:xtic(1) title 'build 2: runtime only', '' index 0 using 3 title 'build 3: escc', '' index 0 using 0:3:(sprintf('%%.3f%%%%', $4)) with labels offset 0,1 notitle
unset logscale y
set title 'escc: allocation sites (IR call sites named by its remarks), by decision'
set style histogram rowstacked
set boxwidth 0.5
set yrange [0:*]
plot 'allocs.dat' index 1 using 2:xtic(1) title 'promoted to the stack', '' index 1 using 3 title 'lowered to mallocgc', '' index 1 using 4 title 'kept on the heap, not lowered'
unset multiplot
""" % (allocs_png, ymax)
    written = []
    for name, text, png in (("ratios.gp", script, ratios_png), ("allocs.gp", script2, allocs_png)):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        r = subprocess.run(["gnuplot", name], cwd=tmp, capture_output=True, text=True)
        if r.returncode == 0:
            written.append(os.path.basename(png))
        else:
            print("report: gnuplot failed on %s:\n%s" % (name, r.stderr[-1500:]))
    shutil.rmtree(tmp, ignore_errors=True)
    return written


def write(results, docs):
    os.makedirs(docs, exist_ok=True)
    base = base_name(results)
    pngs = plot(results, docs, base)
    slim = json.loads(json.dumps(results))
    for p in slim["programs"]:
        for res in p["builds"].values():
            for k in ("build_log", "build_tail"):
                res.pop(k, None)
            for r in res.get("runs", []):
                r.pop("log", None)
    with open(os.path.join(docs, base + ".json"), "w") as f:
        json.dump(slim, f, indent=1)
    about = "\n".join("- **%s** — %s (Debian source `%s`); a test is one of: %s." % (
        p["name"], p["about"], p["source"], p["unit"]) for p in results["programs"])
    failures = []
    for p in results["programs"]:
        for b, res in p["builds"].items():
            if not res["built"]:
                failures.append("- %s, build %s: the build failed:\n\n```\n%s\n```" % (
                    p["name"], b, res.get("build_tail", "")))
            elif not res.get("suite_ok"):
                runs = res.get("runs", [])
                names = sorted({n for r in runs for n in r.get("failed_tests", [])})
                failed_in = ["%d" % (i + 1) for i, r in enumerate(runs) if r["rc"] != 0]
                flaky = p.get("flaky", {})
                why = ""
                if names and all(n in flaky for n in names):
                    why = " — a known flaky test, not the allocator: " + "; ".join(
                        "`%s` %s" % (n, flaky[n]) for n in names)
                elif b == "attributor" and (p["builds"].get("glibc") or {}).get("suite_ok"):
                    why = " — LLVM's own Attributor miscompiles it; escalloc is not in this build"
                failures.append("- %s, build %s: %s tests passed in the worst run; failed in "
                                "run %s of %d%s%s." % (
                                    p["name"], TITLES[b], tests_cell(res).replace("*", ""),
                                    ", ".join(failed_in) or "?", len(runs),
                                    (": " + ", ".join("`%s`" % n for n in names)) if names else "",
                                    why))
    md = """# escalloc on real C programs

<!-- generated by test/realworld/run.sh (test/realworld/report.py); do not edit -->

Generated %(date)s from commit `%(commit)s` by `test/realworld/run.sh`.  Each program is a Debian
bookworm source package, built four ways (and build 1 run a fifth way, with mimalloc preloaded) and tested with its own test suite:

1. `clang-19 -O2`, glibc's malloc — the baseline of every ratio;
2. `clang-19 -O2` with the escalloc runtime linked as a drop-in malloc (the runtime alone);
3. `escc -O2` — escape analysis, promotion to the stack, lowering to `mallocgc`;
4. `clang-19 -O2 -mllvm -attributor-enable=module` — LLVM's Attributor, whose heap-to-stack is the
   in-tree competitor;
5. build 1's binaries run with mimalloc preloaded (`LD_PRELOAD=libmimalloc.so.2`, in every process
   of the suite) — the production allocator the runtime is measured against.

All four builds carry `-fsave-optimization-record` (the remarks of build 3 come from it), so their
build times compare like with like.

**Machine:** %(machine)s

## Summary

%(headline)s

## Results

%(table)s

Measured columns: build 1 in absolute terms, the others as ratios to it, each the median of
%(runs)d interleaved runs of the whole suite.  Test CPU is user+system of the suite's whole
process tree (the steadier figure on a shared machine), Test wall its elapsed time.  Peak RSS
is measured in the program's own processes only (a destructor linked into all four builds reads
`getrusage` at exit; the make/shell/perl processes of the harness are not counted): the largest
one, and the sum over all of them (jq's and gawk's suites start hundreds).  Build CPU: the whole
configure-and-build, user+system.  Sites: allocation calls in the optimized IR named by escalloc's remarks (one source
line inlined into three callers counts three times).  *Allocation calls in code*: direct calls
to malloc, calloc, realloc, strdup, … in the program's own objects (+ calls to `escalloc_*`
allocation entry points); for SQLite, whose build compiles and links testfixture in one step,
in the disassembled executable, where builds 2 and 3 also count the runtime's internal calls.  Dynamic allocations: objects the runtime allocated, summed over the suite's processes
(`escalloc_read_memstats` at exit); the difference between builds 2 and 3 is what promotion saved.
%(failures)s
![ratios](realworld-ratios.png)

![allocations](realworld-allocs.png)

## Promotion against the oracle

What share of the suite's dynamic allocations could have lived in a stack frame, measured by
`test/realworld/frameoracle.c` (build 1 rebuilt with frame pointers, the suite run once with the
oracle preloaded, the program's own processes only): *frame-contained* objects are freed while
the function that allocated them (after inlining) is still active, *caller-frame-contained* ones
while its caller is.  The oracle's shares are lower bounds (code without frame pointers, such as
libc's `strdup`, breaks the chain; see the file's header).  *Removed by promotion*: build 2's
dynamic allocations minus build 3's, over build 2's.

%(oracle)s

## LLVM's Attributor (build 4)

¹ The Attributor emits no optimization remarks inside clang's pipeline (LLVM 19 configures its
module pass without a remark emitter: `-Rpass=attributor` and the YAML record stay empty), so
its promotions are counted instead: build 4 is built a second time with
`-mllvm -max-heap-to-stack-size=0`, which lets its heap-to-stack convert nothing, and the
allocation calls (malloc, calloc, aligned_alloc, … called directly) left in the final objects of
the two are compared.  The difference is the calls its heap-to-stack removed.

%(attributor)s

## Why allocation sites stayed on the heap (escc's missed remarks, by name)

%(reasons)s

## The plugin's share of compile time

%(timereport)s

## Programs

%(about)s

Reproduce: `tools/dev.sh realworld --update-docs` (or `test/realworld/run.sh --build-dir build --docs docs`); `--help` lists
the options (`--programs`, `--runs`, `--builds`, `--keep`).
""" % {
        "date": results["date"], "commit": results["commit"], "machine": machine_lines(results),
        "headline": headline(results),
        "table": table(results), "runs": results["runs"],
        "failures": ("\n**Failures**\n\n" + "\n".join(failures) + "\n") if failures else "",
        "attributor": attributor_lines(results) or "Build 4 was not run.",
        "reasons": reasons_lines(results) or "No missed remarks were recorded.",
        "timereport": time_report_lines(results.get("time_report")),
        "oracle": oracle_lines(results) or "The oracle was not run (`--no-oracle`).",
        "about": about,
    }
    md = md.replace("(realworld-ratios.png)", "(%s-ratios.png)" % base)
    md = md.replace("(realworld-allocs.png)", "(%s-allocs.png)" % base)
    if results.get("flavor", "plain") != "plain":
        md = md.replace("# escalloc on real C programs\n", "# escalloc on real C programs (`--flags %s`: %s)\n" % (
            results["flavor"], FLAVOR_ABOUT[results["flavor"]]), 1)
    if not pngs:
        md = md.replace("![ratios](%s-ratios.png)\n\n![allocations](%s-allocs.png)\n" % (base, base),
                        "(gnuplot is not installed: no plots.)\n")
    with open(os.path.join(docs, base + ".md"), "w") as f:
        f.write(md)
