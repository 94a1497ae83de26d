#!/usr/bin/env python3
"""test/fuzz/fuzz.py — differential fuzzing of escc against clang-19 -O0.

Two sources of programs:
  gen     test/fuzz/gen.py (allocation patterns, two translation units)
  csmith  csmith (Debian package `csmith`, headers from `libcsmith-dev`)

For each seed the reference is `clang-19 -O0`, run under an 8 MiB stack with a
time limit; a reference that fails or times out skips the seed (counted).
Then, for gen programs:
  - `escc -O2`, and one more configuration rotated by seed over
    -O1/-O3/-Os x {no LTO, -flto} and -O2 -flto;
  - `opt -verify-each` of a.c's IR (as clang emits it for -O2) through
    `default<O2>` with the plugin loaded;
for csmith programs `escc -O2`.  A build that differs in output or exit status,
a compiler crash or error, or a verifier failure is a finding.  Each finding is
classified again with plain clang at the same flags (a difference there means
the program, not escalloc, is at fault) and with `-mllvm -escalloc-lower=false`
(promotion alone), and its sources are kept under --keep-dir.

Exit status: 0 when nothing was found, 1 otherwise.

  fuzz.py --build-dir build --seeds 0:30                  # what ctest's fuzz-gen runs
  fuzz.py --build-dir build --mode csmith --seeds 0:500 --jobs 2
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402

STACK = 8 * 1024 * 1024
CSMITH_INCLUDE = "/usr/include/csmith"
# Rotated by seed, after the escc -O2 build every gen seed gets.
ROTATION = [("-O1", False), ("-O3", False), ("-Os", False), ("-O1", True),
            ("-O2", True), ("-O3", True), ("-Os", True)]


class Tools:
    def __init__(self, build, clang, opt):
        self.escc = os.path.join(build, "bin", "escc")
        self.plugin = os.path.join(build, "lib", "EscallocPass.so")
        self.clang = clang
        self.opt = opt
        for p in (self.escc, self.plugin):
            if not os.path.exists(p):
                sys.exit("fuzz.py: error: %s not found (build first)" % p)


def sh(cmd, timeout, cwd=None):
    """Run cmd; returns (rc, stdout, stderr); rc None on a timeout."""
    try:
        p = subprocess.run(cmd, cwd=cwd, timeout=timeout, capture_output=True)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, b"", b"timeout"


def run_prog(exe, timeout):
    return sh(["prlimit", "--stack=%d" % STACK, "--", exe], timeout)


def describe(flags, lto):
    return " ".join(flags) + (" -flto" if lto else "")


class Seed:
    """One seed's work; returns a dict for the summary."""

    def __init__(self, tools, args, seed):
        self.t, self.a, self.seed = tools, args, seed
        self.dir = tempfile.mkdtemp(prefix="escalloc-fuzz-%s-%d-" % (args.mode, seed))
        self.findings = []

    def write_sources(self):
        if self.a.mode == "gen":
            a, e, self.steps = gen.generate(self.seed, self.a.exclude)
            with open(os.path.join(self.dir, "a.c"), "w") as fh:
                fh.write(a)
            with open(os.path.join(self.dir, "ext.c"), "w") as fh:
                fh.write(e)
            return ["a.c", "ext.c"], ["-lpthread"]
        rc, out, err = sh(["csmith", "--seed", str(self.seed)], 60, cwd=self.dir)  # it writes platform.info
        if rc != 0:
            raise RuntimeError("csmith failed: %s" % err.decode(errors="replace")[-300:])
        with open(os.path.join(self.dir, "p.c"), "wb") as fh:
            fh.write(out)
        return ["p.c"], ["-I", CSMITH_INCLUDE]

    def build(self, cc, flags, srcs, extra, out):
        cmd = [cc] + flags + ["-w"] + srcs + extra + ["-o", out]
        return sh(cmd, self.a.compile_timeout, cwd=self.dir), cmd

    def finding(self, kind, what, detail, cmd):
        self.findings.append(dict(kind=kind, config=what, detail=detail[-2000:],
                                  command=" ".join(cmd)))

    def check_config(self, srcs, extra, flags, lto, ref):
        what = describe(flags, lto)
        ltof = ["-flto", "-fuse-ld=lld"] if lto else []
        exe = os.path.join(self.dir, "t" + what.replace(" ", "").replace("-", "_"))
        (rc, _, err), cmd = self.build(self.t.escc, flags + ltof, srcs, extra, exe)
        if rc != 0:
            kind = "compile-timeout" if rc is None else "compile"
            self.finding(kind, what, err.decode(errors="replace"), cmd)
            return
        got = run_prog(exe, self.a.run_timeout)
        if got[:2] == ref[:2]:
            return
        line, diff = first_diff(ref[1], got[1])
        detail = "exit %s (reference %s); first differing line: %s" % (got[0], ref[0], diff)
        if self.a.mode == "gen" and line < len(self.steps):
            detail += " (step %d: %s)" % (line, " ".join(self.steps[line]))
        # Classify: is plain clang at these flags different too (program at
        # fault), and does promotion alone reproduce it?
        (prc, _, _), _ = self.build(self.t.clang, flags + ltof, srcs, extra, exe + ".clang")
        plain = run_prog(exe + ".clang", self.a.run_timeout) if prc == 0 else (None, b"", b"")
        (arc, _, _), _ = self.build(self.t.escc, flags + ltof + ["-mllvm", "-escalloc-lower=false"],
                                    srcs, extra, exe + ".nolower")
        nolower = run_prog(exe + ".nolower", self.a.run_timeout) if arc == 0 else (None, b"", b"")
        detail += "; plain clang %s: %s; escc -escalloc-lower=false: %s" % (
            what, "same as -O0" if plain[:2] == ref[:2] else "DIFFERS (program at fault)",
            "same as -O0" if nolower[:2] == ref[:2] else "differs")
        self.finding("program-bug" if plain[:2] != ref[:2] else "miscompile", what,
                     detail + "\n" + got[2].decode(errors="replace")[-500:], cmd)

    def verify(self):
        ll = os.path.join(self.dir, "a.ll")
        rc, _, err = sh([self.t.clang, "-O2", "-Xclang", "-disable-llvm-passes", "-S", "-emit-llvm",
                         "-w", "a.c", "-o", ll], self.a.compile_timeout, cwd=self.dir)
        if rc != 0:
            self.finding("frontend", "emit-llvm", err.decode(errors="replace"), ["clang-19"])
            return
        cmd = [self.t.opt, "-load-pass-plugin=" + self.t.plugin, "-passes=default<O2>",
               "-verify-each", "-disable-output", ll]
        rc, _, err = sh(cmd, self.a.compile_timeout)
        if rc != 0:
            self.finding("verify", "opt -verify-each default<O2>", err.decode(errors="replace"), cmd)

    def run(self):
        res = dict(seed=self.seed, status="ok")
        try:
            srcs, extra = self.write_sources()
            ref_exe = os.path.join(self.dir, "ref")
            (rc, _, err), _ = self.build(self.t.clang, ["-O0"], srcs, extra, ref_exe)
            if rc != 0:
                res.update(status="ref-compile-fail", detail=err.decode(errors="replace")[-500:])
                return res
            ref = run_prog(ref_exe, self.a.run_timeout)
            if ref[0] is None:
                res["status"] = "ref-timeout"
                return res
            if ref[0] != 0 and self.a.mode == "gen":
                res.update(status="ref-fail", detail="reference exit %s" % ref[0])
                return res
            configs = [(["-O2"], False)]
            if self.a.mode == "gen":
                configs.append(([ROTATION[self.seed % len(ROTATION)][0]], ROTATION[self.seed % len(ROTATION)][1]))
            for flags, lto in configs:
                self.check_config(srcs, extra, flags, lto, ref)
            if self.a.mode == "gen":
                self.verify()
            res["configs"] = [describe(f, l) for f, l in configs]
            if self.findings:
                res.update(status="finding", findings=self.findings)
                if self.a.keep_dir:
                    dst = os.path.join(self.a.keep_dir, "%s-%d" % (self.a.mode, self.seed))
                    shutil.rmtree(dst, ignore_errors=True)
                    os.makedirs(dst)
                    for s in srcs:
                        shutil.copy(os.path.join(self.dir, s), dst)
                    with open(os.path.join(dst, "finding.json"), "w") as fh:
                        json.dump(res, fh, indent=1)
            return res
        except Exception as e:  # a harness failure is reported, not hidden
            res.update(status="harness-error", detail=repr(e))
            return res
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def first_diff(a, b):
    la, lb = a.decode(errors="replace").splitlines(), b.decode(errors="replace").splitlines()
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else "<none>"
        y = lb[i] if i < len(lb) else "<none>"
        if x != y:
            return i, "line %d: expected %r, got %r" % (i + 1, x, y)
    return -1, "(same output)"


def parse_range(s):
    lo, _, hi = s.partition(":")
    return range(int(lo), int(hi))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--mode", choices=["gen", "csmith"], default="gen")
    ap.add_argument("--seeds", default="0:30", help="half-open range LO:HI")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--clang", default="clang-19")
    ap.add_argument("--opt", default="opt-19")
    ap.add_argument("--compile-timeout", type=int, default=300)
    ap.add_argument("--run-timeout", type=int, default=10)
    ap.add_argument("--exclude", default="",
                    help="gen patterns to leave out (comma-separated; see gen.ALL_PATTERNS)")
    ap.add_argument("--exclude-file",
                    help="more patterns to leave out, one a line, '#' comments (e.g. test/fuzz/open-patterns.txt)")
    ap.add_argument("--only", help="gen: use only these patterns (comma-separated)")
    ap.add_argument("--keep-dir", help="copy the sources of each finding here")
    ap.add_argument("--json", help="write every seed's result here")
    ap.add_argument("--quiet", action="store_true", help="print findings and the summary only")
    args = ap.parse_args()
    if args.mode == "csmith" and not shutil.which("csmith"):
        sys.exit("fuzz.py: error: csmith not found (apt-get install csmith libcsmith-dev)")
    args.exclude = [p for p in args.exclude.split(",") if p]
    if args.exclude_file:
        with open(args.exclude_file) as fh:
            args.exclude += [l.split("#")[0].strip() for l in fh if l.split("#")[0].strip()]
    if args.only:
        args.exclude += gen.only(args.only.split(","))
    try:
        gen.generate(0, args.exclude)
    except ValueError as e:
        sys.exit("fuzz.py: error: %s" % e)
    tools = Tools(os.path.abspath(args.build_dir), args.clang, args.opt)
    seeds = parse_range(args.seeds)
    t0 = time.time()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for res in ex.map(lambda s: Seed(tools, args, s).run(), seeds):
            results.append(res)
            if res["status"] == "ok":
                if not args.quiet:
                    print("seed %d: ok (%s)" % (res["seed"], ", ".join(res.get("configs", []))), flush=True)
                continue
            print("seed %d: %s %s" % (res["seed"], res["status"], res.get("detail", "")), flush=True)
            for f in res.get("findings", []):
                print("  %s [%s]: %s\n    %s" % (f["kind"], f["config"], f["detail"].strip(), f["command"]),
                      flush=True)
    counts = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    kinds = {}
    for r in results:
        for f in r.get("findings", []):
            kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    print("fuzz %s seeds %s: %d seeds in %.0f s; %s; findings by kind: %s" % (
        args.mode, args.seeds, len(results), time.time() - t0,
        ", ".join("%s %d" % kv for kv in sorted(counts.items())),
        ", ".join("%s %d" % kv for kv in sorted(kinds.items())) or "none"))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(mode=args.mode, seeds=args.seeds, counts=counts, kinds=kinds,
                           results=results), fh, indent=1)
    bad = [r for r in results if r["status"] in ("finding", "harness-error", "ref-compile-fail")
           or (args.mode == "gen" and r["status"] != "ok")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
