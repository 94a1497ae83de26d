#!/usr/bin/env python3
"""realworld.py — established C programs, built four ways, tested with their
own test suites; the report of what escalloc did to them.

Builds (the issue's numbering):
  1 glibc       clang-19 -O2, glibc's malloc (the baseline every ratio is against)
  2 rt          clang-19 -O2, the escalloc runtime linked as a drop-in malloc
  3 escc        escc -O2: escape analysis, promotion to the stack, lowering
  4 attributor  clang-19 -O2 -mllvm -attributor-enable=module (LLVM's heap-to-stack)
  5 mimalloc    build 1's binaries, tested with mimalloc preloaded (LD_PRELOAD):
                the production allocator escalloc's runtime is measured against

The sources come from Debian (`apt-get source`, a deb-src entry added when
missing) into a temporary directory; nothing of theirs is ever committed.
Every figure in the report comes from this one invocation: ratios are medians
of --runs repeated, interleaved runs against build 1 measured in the same run.

Run through run.sh; `run.sh --help` lists the options.
"""

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import programs  # noqa: E402
import report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
CLANG = "clang-19"
CLANGXX = "clang++-19"
BUILDS = ["glibc", "rt", "escc", "attributor", "mimalloc"]
# Build 5 compiles nothing: it runs build 1's tree with this preloaded.
MIMALLOC_SO = "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2"
# The oracle's tree: as long as build1..build5, so that suites which allocate
# according to their paths do the same work in it.
ORACLE_TREE = "buildO"
# Compiler flag sets every build gets on top of -O2 (--flags).  "debian" is what
# Debian and gnulib build with (dpkg-buildflags: _FORTIFY_SOURCE=2, the stack
# protector, format hardening, relro); "lto" is -flto with lld and LLVM's ar.
FLAVORS = ["plain", "debian", "lto"]
# Frame pointers for the oracle's build (test/realworld/frameoracle.c).
FRAME_POINTER_FLAGS = "-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer"
# Packages every run needs; programs add their own (programs.Program.packages).
BASE_PACKAGES = ["dpkg-dev", "cmake", "make", "clang-19", "binutils"]
DEB_SRC_FILE = "/etc/apt/sources.list.d/escalloc-deb-src.sources"
# Allocation functions whose call sites we count in the final objects.
ALLOC_FUNCS = {"malloc", "calloc", "realloc", "reallocarray", "aligned_alloc",
               "posix_memalign", "memalign", "valloc", "strdup", "strndup"}
# The allocation entry points of include/escalloc/abi.h (lowered calls).
ESCALLOC_ALLOC_FUNCS = {"escalloc_mallocgc", "escalloc_mallocgc_class", "escalloc_mallocgc_spc",
                        "escalloc_calloc", "escalloc_aligned_alloc", "escalloc_realloc"}


# Build 2's compiler driver: clang, plus the runtime at link time exactly as
# tools/escc.c adds it.  Filled with: the clang, the runtime directory (twice),
# the static runtime.
RT_WRAPPER = r"""cc=%s
link=1 shared=0 input=0
for a in "$@"; do
  case $a in
    -c|-S|-E|-M|-MM|-fsyntax-only|-dumpversion|--version|-print-*|--print-*|'-###') link=0 ;;
    -shared) shared=1 ;;
    -*) ;;
    *) input=1 ;;
  esac
done
if [ $link = 1 ] && [ $input = 1 ]; then
  if [ $shared = 1 ]; then
    exec "$cc" "$@" -L%s -Wl,-rpath,%s -lescalloc_rt
  fi
  exec "$cc" "$@" -Wl,--whole-archive %s -Wl,--no-whole-archive -lpthread
fi
exec "$cc" "$@"
"""


def say(msg):
    print("==> " + msg, file=sys.stderr, flush=True)


def die(msg):
    print("realworld: error: " + msg, file=sys.stderr, flush=True)
    sys.exit(2)


def sh(cmd, cwd=None, env=None, log=None, check=True):
    """Runs a shell command; its output goes to `log` (a path) or is returned."""
    out = subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, errors="replace")
    if log:
        with open(log, "a") as f:
            f.write("$ %s\n%s\n" % (cmd, out.stdout))
    if check and out.returncode != 0:
        tail = "\n".join(out.stdout.splitlines()[-20:])
        raise RuntimeError("command failed (%d): %s\n%s" % (out.returncode, cmd, tail))
    return out.stdout


def timed(cmd, cwd, env, log):
    """Runs `cmd` under bash in its own process; returns (rc, wall s, cpu s,
    peak RSS KiB, output).  wait4's rusage covers the whole process tree the
    command waited for, so cpu is the tree's user+system time and the RSS is
    the largest single process in it."""
    with open(log, "w") as f:
        start = time.monotonic()
        proc = subprocess.Popen(["bash", "-ec", cmd], cwd=cwd, env=env, stdout=f,
                                stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    with open(log, errors="replace") as f:
        out = f.read()
    return proc.returncode, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, out


# --- environment ---------------------------------------------------------------

def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return "ok installed" in r.stdout


def apt(*args):
    cmd = ([] if os.geteuid() == 0 else ["sudo"]) + ["apt-get"] + list(args)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        die("%s failed:\n%s" % (" ".join(cmd), r.stderr[-2000:]))


def has_deb_src():
    """True when apt already knows a deb-src entry for bookworm main."""
    r = subprocess.run(["apt-cache", "showsrc", "zlib"], capture_output=True, text=True)
    return r.returncode == 0 and "Package: zlib" in r.stdout


def ensure_environment(progs, need_sqlite, need_plots, need_mimalloc):
    """Installs what is missing and adds the deb-src entry: a fresh CI machine
    has neither.  CI mode asks for the least (no gnuplot, no Tcl)."""
    pkgs = list(BASE_PACKAGES)
    for p in progs:
        pkgs += p.packages
    if need_sqlite:
        pkgs += ["tcl"]  # tclsh generates the sqlite3.c amalgamation
    if need_plots:
        pkgs += ["gnuplot-nox"]
    if need_mimalloc:
        pkgs += ["libmimalloc2.0"]
    missing = sorted({p for p in pkgs if not installed(p)})
    if not has_deb_src():
        say("adding a deb-src entry: " + DEB_SRC_FILE)
        entry = ("Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n"
                 "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
        if os.geteuid() == 0:
            with open(DEB_SRC_FILE, "w") as f:
                f.write(entry)
        else:
            subprocess.run(["sudo", "tee", DEB_SRC_FILE], input=entry, text=True,
                           stdout=subprocess.DEVNULL, check=True)
        apt("update", "-qq")
        missing_after_update = True
    else:
        missing_after_update = False
    if missing:
        say("installing: " + " ".join(missing))
        if not missing_after_update:
            apt("update", "-qq")
        apt("install", "-y", "-qq", "--no-install-recommends", *missing)
    if any(p.name == "gawk" for p in progs):
        ensure_locale("en_US.UTF-8")


def ensure_locale(name):
    """gawk's suite runs some tests under en_US.UTF-8 and fails without it."""
    have = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower()
    if name.lower().replace("utf-8", "utf8") in have:
        return
    say("generating the %s locale (gawk's multibyte tests need it)" % name)
    gen = "/etc/locale.gen"
    with open(gen) as f:
        text = f.read()
    text = re.sub(r"^#\s*(%s UTF-8)$" % re.escape(name), r"\1", text, flags=re.M)
    if not re.search(r"^%s UTF-8$" % re.escape(name), text, re.M):
        text += "%s UTF-8\n" % name
    with open(gen, "w") as f:
        f.write(text)
    subprocess.run(["locale-gen"], capture_output=True, check=True)


def fetch(srcpkg, srcdir):
    """apt-get source into srcdir; returns the unpacked tree."""
    os.makedirs(srcdir, exist_ok=True)
    unpacked = lambda: [d for d in os.listdir(srcdir)
                        if os.path.isdir(os.path.join(srcdir, d)) and d.startswith(srcpkg + "-")]
    trees = unpacked()
    if not trees:
        say("apt-get source %s" % srcpkg)
        sh("apt-get source -qq %s" % shlex.quote(srcpkg), cwd=srcdir)
        trees = unpacked()
    if len(trees) != 1:
        die("cannot find the unpacked tree of %s in %s" % (srcpkg, srcdir))
    return os.path.join(srcdir, trees[0])


# --- the four builds ---------------------------------------------------------------

class Toolchain:
    """Paths into the escalloc build directory and the per-build environments."""

    def __init__(self, build_dir, work, flavor="plain"):
        self.build_dir = os.path.abspath(build_dir)
        self.flavor = flavor
        self.flavor_cflags, self.flavor_ldflags, self.flavor_env = flavor_flags(flavor)
        if flavor == "lto":
            # CMake projects ignore $AR and take the first llvm-ar on PATH,
            # which may be another LLVM's that cannot read LLVM 19 bitcode:
            # put LLVM 19's archive tools first.
            tools = os.path.join(work, "lto-bin")
            os.makedirs(tools, exist_ok=True)
            for name in ("ar", "ranlib", "nm"):
                real = shutil.which("llvm-%s-19" % name) or "/usr/bin/llvm-%s-19" % name
                for alias in (name, "llvm-" + name):
                    link = os.path.join(tools, alias)
                    if not os.path.lexists(link):
                        os.symlink(real, link)
            self.flavor_env["PATH"] = tools + os.pathsep + os.environ.get("PATH", "")
        self.oracle = os.path.join(self.build_dir, "lib", "libescalloc_frameoracle.so")
        if not os.path.exists(self.oracle):
            say("%s is missing: no promotion oracle this run" % self.oracle)
            self.oracle = None
        self.escc = os.path.join(self.build_dir, "bin", "escc")
        self.rt_static = os.path.join(self.build_dir, "lib", "libescalloc_rt.a")
        self.plugin = os.path.join(self.build_dir, "lib", "EscallocPass.so")
        self.rt_dir = os.path.join(self.build_dir, "lib")
        for path in (self.escc, self.rt_static, self.plugin):
            if not os.path.exists(path):
                die("%s is missing: build escalloc first (ninja -C %s)" % (path, build_dir))
        self.statsdump = os.path.join(work, "statsdump.o")
        sh("%s -O2 -fPIC -I%s -c %s -o %s" % (CLANG, os.path.join(ROOT, "include"),
                                               os.path.join(HERE, "statsdump.c"), self.statsdump))
        # C++ sources (expat's runtestspp) go through escc as well, with clang++
        # underneath, so that C++ links get the runtime exactly as C links do.
        self.escxx = self.script(work, "escc++", "ESCC_CC=%s exec %s \"$@\"\n" % (
            CLANGXX, shlex.quote(self.escc)))
        # Build 2's compilers: clang with the runtime linked the way escc links
        # it (whole archive into executables, the shared library into -shared
        # outputs), once per link.  Not through LDFLAGS: gawk's Makefile
        # repeats LDFLAGS, and a repeated whole archive is a duplicate symbol.
        self.rtcc = self.script(work, "rtcc", RT_WRAPPER % (CLANG, self.rt_dir, self.rt_dir, self.rt_static))
        self.rtcxx = self.script(work, "rtc++", RT_WRAPPER % (CLANGXX, self.rt_dir, self.rt_dir, self.rt_static))

    @staticmethod
    def script(work, name, body):
        path = os.path.join(work, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n# generated by realworld.py; do not edit\n" + body)
        os.chmod(path, 0o755)
        return path

    def env(self, build, jobs):
        """The environment of one build.  All four carry the same
        -fsave-optimization-record flags (it implies line tables), so build
        times compare like with like; only the record's pass filter differs."""
        record = "-fsave-optimization-record -foptimization-record-passes=%s" % (
            "attributor" if build == "attributor" else "escalloc")
        # -mllvm and the record flags reach link commands too, where clang warns
        # that they are unused; projects that build with -Werror (cJSON's flag
        # probes) would then fail in one build and not the others.
        cflags = "-O2 -Wno-unused-command-line-argument " + record
        if self.flavor_cflags:
            cflags += " " + self.flavor_cflags
        cc, cxx = CLANG, CLANGXX
        # statsdump.o goes into every build: it measures the program's own
        # processes in all four alike.
        ldflags = "-Wl,%s" % self.statsdump
        if self.flavor_ldflags:
            ldflags += " " + self.flavor_ldflags
        if build == "rt":
            cc, cxx = self.rtcc, self.rtcxx
        elif build == "escc":
            cc, cxx = self.escc, self.escxx
        elif build == "attributor":
            cflags += " -mllvm -attributor-enable=module"
        env = dict(os.environ)
        for var in ("CPPFLAGS", "LIBS", "MAKEFLAGS", "MFLAGS", "ESCALLOC_RW_STATS"):
            env.pop(var, None)
        env.update(CC=cc, CXX=cxx, CFLAGS=cflags, CXXFLAGS=cflags, LDFLAGS=ldflags,
                   JOBS=str(jobs), LC_ALL="C", LANG="C")
        env.update(self.flavor_env)
        return env


def flavor_flags(flavor):
    """(extra CFLAGS, extra LDFLAGS, extra environment) of a --flags flavour."""
    if flavor == "debian":
        def get(var):
            return subprocess.run(["dpkg-buildflags", "--get", var], check=True,
                                  capture_output=True, text=True).stdout.strip()
        # The programs' scripts see CFLAGS only, so CPPFLAGS (_FORTIFY_SOURCE)
        # joins it; -ffile-prefix-map names the current directory and goes.
        cflags = [f for f in (get("CPPFLAGS") + " " + get("CFLAGS")).split()
                  if not f.startswith("-ffile-prefix-map")]
        return " ".join(cflags), get("LDFLAGS"), {}
    if flavor == "lto":
        tools = {"AR": "llvm-ar-19", "RANLIB": "llvm-ranlib-19", "NM": "llvm-nm-19"}
        return "-flto", "-flto -fuse-ld=lld", tools
    return "", "", {}


def count_call_sites(tree, binaries=()):
    """Calls to an allocation function or an escalloc allocation entry point
    in the program's own object files (the final code after every pass), or
    in the given executables when the build leaves no objects."""
    if binaries:
        return count_calls_in_binaries([os.path.join(tree, b) for b in binaries])
    counts = {"malloc_family": 0, "escalloc": 0}
    objs = []
    for dirpath, _, files in os.walk(tree):
        objs += [os.path.join(dirpath, f) for f in files if f.endswith(".o")]
    for i in range(0, len(objs), 200):
        out = subprocess.run(["readelf", "-rW"] + objs[i:i + 200], capture_output=True,
                             text=True, errors="replace").stdout
        for line in out.splitlines():
            fields = line.split()
            # Calls only (PLT32, or PC32 for a local definition): cJSON-style
            # hooks take malloc's address, and the Attributor turns such
            # indirect calls into direct ones, which are not new sites.
            if len(fields) < 5 or fields[2] not in ("R_X86_64_PLT32", "R_X86_64_PC32"):
                continue
            sym = fields[4].split("@")[0]
            if sym in ALLOC_FUNCS:
                counts["malloc_family"] += 1
            elif sym in ESCALLOC_ALLOC_FUNCS:
                counts["escalloc"] += 1
    return counts


def count_calls_in_binaries(paths):
    """Direct calls and tail calls to allocation functions in executables'
    disassembly.  Builds 2 and 3 also count the runtime's few internal calls
    to its own entry points."""
    counts = {"malloc_family": 0, "escalloc": 0}
    call = re.compile(r"\s(?:call|jmp)\s+[0-9a-f]+ <([\w.]+?)(?:@plt)?>$")
    for path in paths:
        out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path], capture_output=True,
                             text=True, errors="replace").stdout
        for line in out.splitlines():
            m = call.search(line)
            if not m:
                continue
            sym = m.group(1)
            if sym in ALLOC_FUNCS:
                counts["malloc_family"] += 1
            elif sym in ESCALLOC_ALLOC_FUNCS:
                counts["escalloc"] += 1
    return counts


def read_remarks(tree, pass_re):
    """Remarks of the passes matching pass_re in every *.opt.yaml of the tree,
    one per (kind, pass, name, file, line, column, function)."""
    doc_re = re.compile(r"^--- !(\w+)\n(.*?)^\.\.\.$", re.M | re.S)
    seen = set()
    remarks = []
    for dirpath, _, files in os.walk(tree):
        for f in files:
            if not f.endswith(".opt.yaml"):
                continue
            with open(os.path.join(dirpath, f), errors="replace") as fh:
                text = fh.read()
            for m in doc_re.finditer(text):
                kind, body = m.group(1), m.group(2)
                field = lambda k: (re.search(r"^%s:\s+(.*)$" % k, body, re.M) or [None, ""])[1]
                if not re.search(pass_re, field("Pass")):
                    continue
                loc = re.search(r"^DebugLoc:\s+\{ File: (.*?), Line: (\d+), Column: (\d+) \}",
                                body, re.M)
                key = (kind, field("Pass"), field("Name"),
                       loc.group(1).strip("'") if loc else "", int(loc.group(2)) if loc else 0,
                       int(loc.group(3)) if loc else 0, field("Function"))
                if key in seen:
                    continue
                seen.add(key)
                reason = re.search(r"^  - Reason:\s+'?(.*?)'?$", body, re.M)
                remarks.append({"kind": kind, "pass": key[1], "name": key[2], "file": key[3],
                                "line": key[4], "column": key[5], "function": key[6],
                                "reason": reason.group(1) if reason else None})
    return remarks


# escalloc's per-site remarks (pass/HeapToStack.cpp, Inventory.cpp, Lowering.cpp).
# The others (ParamSummary, StackBudget, Flow) describe functions, not sites.
SITE_REMARKS = {"MovedToStack": "promoted", "EscapesToHeap": "heap",
                "TurnedIntoGlobal": "removed",
                "RemovedAsDead": "removed", "LoweredToMallocgc": "lowered"}


def classify_escalloc(remarks):
    """Sites seen/promoted/lowered from escalloc's remarks.

    A site is an allocation call in the IR the pass saw: (file, line, column,
    function), so one source line inlined into three callers is three sites.
    Seen: every site with a decision remark; promoted: MovedToStack; lowered:
    LoweredToMallocgc; removed: RemovedAsDead.  EscapesToHeap sites are
    grouped by their Reason argument, the first step of the escape."""
    groups = {v: set() for v in SITE_REMARKS.values()}
    reasons = {}
    for r in remarks:
        group = SITE_REMARKS.get(r["name"])
        if not group:
            continue
        groups[group].add((r["file"], r["line"], r["column"], r["function"]))
        if group == "heap":
            reason = r.get("reason") or "?"
            reasons[reason] = reasons.get(reason, 0) + 1
    seen = set().union(*groups.values())
    return {"seen": len(seen), "promoted": len(groups["promoted"]),
            "lowered": len(groups["lowered"]), "removed": len(groups["removed"]),
            "escapes": len(groups["heap"]), "missed_by_reason": reasons}


def read_stats(path):
    """The lines statsdump.o wrote, one kept per pid: the program's processes,
    their allocations (None without the runtime), the largest peak RSS among
    them and the sum of their peak RSS (KiB)."""
    per_pid = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 5:
                    per_pid[parts[0]] = max(per_pid.get(parts[0], (-1,) * 4),
                                            tuple(int(x) for x in parts[1:]))
    except OSError:
        return None
    if not per_pid:
        return None
    vals = list(per_pid.values())
    counted = vals[0][0] >= 0
    return {"processes": len(vals),
            "mallocs": sum(v[0] for v in vals) if counted else None,
            "frees": sum(v[1] for v in vals) if counted else None,
            "bytes": sum(v[2] for v in vals) if counted else None,
            "rss_max_kib": max(v[3] for v in vals),
            "rss_sum_kib": sum(v[3] for v in vals)}


def tag(build):
    return "build%d" % (BUILDS.index(build) + 1)


def build_one(prog, build, pristine, work, tc, jobs):
    # Trees and files the programs can see are named build1..build4, all the
    # same length: suites that allocate according to their paths (expat's,
    # gawk's ENVIRON) then do the same work in every build.
    tree = os.path.join(work, prog.name, tag(build))
    if os.path.exists(tree):
        shutil.rmtree(tree)
    shutil.copytree(pristine, tree, symlinks=True)
    log = os.path.join(work, prog.name, "%s-build.log" % build)
    say("%s: build %d (%s)" % (prog.name, BUILDS.index(build) + 1, build))
    rc, wall, cpu, _, out = timed(prog.build, tree, tc.env(build, jobs), log)
    res = {"built": rc == 0, "build_wall": wall, "build_cpu": cpu, "build_log": log}
    if rc != 0:
        say("%s: build %s FAILED (rc %d); log: %s" % (prog.name, build, rc, log))
        res["build_tail"] = "\n".join(out.splitlines()[-25:])
        return tree, res
    res["call_sites"] = count_call_sites(tree, prog.binaries)
    if build == "escc":
        res["remarks"] = classify_escalloc(read_remarks(tree, r"escalloc"))
    elif build == "attributor":
        res["attributor_remarks"] = len([r for r in read_remarks(tree, r"attributor")
                                         if r["kind"] == "Passed"])
        res["h2s"] = attributor_h2s_sites(prog, pristine, work, tc, jobs, res["call_sites"])
    return tree, res


def attributor_h2s_sites(prog, pristine, work, tc, jobs, with_h2s):
    """The Attributor's heap-to-stack conversions, counted as the allocation
    calls it removes: build 4 again with -max-heap-to-stack-size=0 (which
    lets no allocation through), and compare.  Its remarks cannot tell: in
    clang's pipeline the Attributor has no remark emitter (see report.py)."""
    tree = os.path.join(work, prog.name, "build4-noh2s")
    if os.path.exists(tree):
        shutil.rmtree(tree)
    shutil.copytree(pristine, tree, symlinks=True)
    env = tc.env("attributor", jobs)
    for var in ("CFLAGS", "CXXFLAGS"):
        env[var] += " -mllvm -max-heap-to-stack-size=0"
    say("%s: build 4 without heap-to-stack (to count the Attributor's promotions)" % prog.name)
    log = os.path.join(work, prog.name, "attributor-noh2s-build.log")
    rc, _, _, _, _ = timed(prog.build, tree, env, log)
    if rc != 0:
        return None
    without = count_call_sites(tree, prog.binaries)["malloc_family"]
    shutil.rmtree(tree, ignore_errors=True)
    return without - with_h2s["malloc_family"]


def fresh(path):
    """\p path, emptied: the processes append to it, and a --workdir reused
    from an earlier run must not add that run's counts to this one's."""
    if os.path.exists(path):
        os.remove(path)
    return path


def test_one(prog, build, tree, tc, jobs, run, work):
    if build == "mimalloc":
        # Build 1's binaries with mimalloc in every process of the suite, as
        # a user who preloads it has (the harness's make and shells too).
        env = tc.env("glibc", jobs)
        env["LD_PRELOAD"] = MIMALLOC_SO
    else:
        env = tc.env(build, jobs)
    stats_path = fresh(os.path.join(work, prog.name, "%s-stats-%d.txt" % (tag(build), run)))
    env["ESCALLOC_RW_STATS"] = stats_path
    log = os.path.join(work, prog.name, "%s-test-%d.log" % (build, run))
    rc, wall, cpu, harness_rss, out = timed(prog.test, tree, env, log)
    passed, total = prog.parse(out, tree)
    stats = read_stats(stats_path) or {}
    res = {"rc": rc, "wall": wall, "cpu": cpu, "passed": passed, "total": total, "log": log,
           "failed_tests": prog.failed(out) if prog.failed else [],
           "processes": stats.get("processes", 0), "rss_kib": stats.get("rss_max_kib"),
           "rss_sum_kib": stats.get("rss_sum_kib"), "harness_rss_kib": harness_rss}
    if stats.get("mallocs") is not None:
        res["allocs"] = {k: stats[k] for k in ("processes", "mallocs", "frees", "bytes")}
    return res


def run_program(prog, builds, runs, work, tc, jobs, pristine, oracle=True):
    result = {"name": prog.name, "about": prog.about, "unit": prog.unit,
              "source": os.path.basename(pristine), "builds": {}}
    trees = {}
    for b in builds:
        if b == "mimalloc" and "glibc" in trees:
            # Nothing to compile: the same binaries as build 1.
            result["builds"][b] = {"built": True, "same_binaries_as": "glibc",
                                   "call_sites": result["builds"]["glibc"].get("call_sites")}
            trees[b] = trees["glibc"]
            continue
        tree, res = build_one(prog, "glibc" if b == "mimalloc" else b, pristine, work, tc, jobs)
        if b == "mimalloc":
            say("%s: build 5 is build 1 compiled again (build 1 was not asked for)" % prog.name)
        result["builds"][b] = res
        if res["built"]:
            trees[b] = tree
    # Interleaved runs: a slow minute on the shared machine hits every build.
    for r in range(runs):
        for b in builds:
            if b not in trees:
                continue
            res = test_one(prog, b, trees[b], tc, jobs, r, work)
            result["builds"][b].setdefault("runs", []).append(res)
            status = "ok" if res["rc"] == 0 else "FAILED rc=%d" % res["rc"]
            say("%s: run %d/%d build %s: %s/%s %s passed, %.1fs, %s" % (
                prog.name, r + 1, runs, b, res["passed"], res["total"], prog.unit.split(" (")[0],
                res["wall"], status))
    for b, res in result["builds"].items():
        summarize_runs(res)
    if tc.oracle and oracle:
        result["oracle"] = run_oracle(prog, pristine, work, tc, jobs)
    return result


def run_oracle(prog, pristine, work, tc, jobs):
    """Build 1 again with frame pointers, run the suite once with the
    promotion oracle preloaded, and sum its per-process lines over the
    program's own processes (the pids statsdump.o reported; the harness's
    make and shell processes are preloaded too and left out)."""
    tree = os.path.join(work, prog.name, ORACLE_TREE)
    if os.path.exists(tree):
        shutil.rmtree(tree)
    shutil.copytree(pristine, tree, symlinks=True)
    env = tc.env("glibc", jobs)
    for var in ("CFLAGS", "CXXFLAGS"):
        env[var] += " " + FRAME_POINTER_FLAGS
    say("%s: the oracle's build (build 1 with frame pointers)" % prog.name)
    rc, _, _, _, _ = timed(prog.build, tree, env, os.path.join(work, prog.name, "oracle-build.log"))
    if rc != 0:
        say("%s: the oracle's build FAILED" % prog.name)
        return None
    stats_path = fresh(os.path.join(work, prog.name, "oracle-stats.txt"))
    out_path = fresh(os.path.join(work, prog.name, "oracle-out.txt"))
    env["ESCALLOC_RW_STATS"] = stats_path
    env["ESCALLOC_ORACLE_OUT"] = out_path
    env["LD_PRELOAD"] = tc.oracle
    say("%s: the suite under the promotion oracle" % prog.name)
    rc, _, _, _, out = timed(prog.test, tree, env, os.path.join(work, prog.name, "oracle-test.log"))
    passed, total = prog.parse(out, tree)
    res = read_oracle(out_path, stats_path)
    if res:
        res.update(rc=rc, passed=passed, total=total)
    shutil.rmtree(tree, ignore_errors=True)
    return res


ORACLE_LINE = re.compile(r"frameoracle: pid=(\d+) prog=\S* allocations=(\d+) frame=(\d+) "
                         r"caller=(\d+) unknown=(\d+)")


def read_oracle(out_path, stats_path):
    own = set()
    try:
        with open(stats_path) as f:
            own = {line.split()[0] for line in f if line.strip()}
        with open(out_path) as f:
            lines = f.read()
    except OSError:
        return None
    tot = {"processes": 0, "allocations": 0, "frame": 0, "caller": 0, "unknown": 0}
    for m in ORACLE_LINE.finditer(lines):
        if m.group(1) not in own:
            continue
        tot["processes"] += 1
        for key, val in zip(("allocations", "frame", "caller", "unknown"), m.groups()[1:]):
            tot[key] += int(val)
    return tot if tot["processes"] else None


def add_failure_details(results):
    """Names the failed tests of each run (from its log when an older results
    file lacks them) and the reasons known for flaky ones, for the report."""
    for p in results["programs"]:
        prog = programs.BY_NAME.get(p["name"])
        if not prog:
            continue
        p["flaky"] = prog.flaky
        for res in p["builds"].values():
            for r in res.get("runs", []):
                if "failed_tests" not in r and prog.failed and os.path.exists(r.get("log", "")):
                    with open(r["log"], errors="replace") as f:
                        r["failed_tests"] = prog.failed(f.read())


def summarize_runs(res):
    rs = res.get("runs") or []
    if not rs:
        return
    res["wall"] = statistics.median(r["wall"] for r in rs)
    res["cpu"] = statistics.median(r["cpu"] for r in rs)
    for key in ("rss_kib", "rss_sum_kib", "processes"):
        vals = [r[key] for r in rs if r.get(key) is not None]
        res[key] = statistics.median(vals) if vals else None
    # Tests passed: the worst run (a flaky failure is still a failure).
    worst = min(rs, key=lambda r: (r["passed"], -r["rc"]))
    res["passed"], res["total"] = worst["passed"], worst["total"]
    res["suite_ok"] = all(r["rc"] == 0 for r in rs) and all(
        r["total"] is not None and r["passed"] == r["total"] for r in rs)
    allocs = [r["allocs"] for r in rs if r.get("allocs")]
    if allocs:
        res["allocs"] = {k: statistics.median(a[k] for a in allocs) for k in allocs[0]}


# --- the plugin's share of compile time on sqlite3.c -------------------------------

def time_report(work, tc, runs):
    """Compiles the sqlite3.c amalgamation with escc -O2 -ftime-report `runs`
    times and clang-19 -O2 -ftime-report as often (interleaved), and returns
    the plugin's share: the CPU time of the passes and analyses whose names
    say escalloc or escape, over the whole compile's CPU time (clang's
    front-end timer); and the two compiles' CPU times by that same timer."""
    pristine = fetch("sqlite3", os.path.join(work, "src"))
    tree = os.path.join(work, "sqlite3-amalgamation")
    if not os.path.exists(tree):
        shutil.copytree(pristine, tree, symlinks=True)
    amalg = os.path.join(tree, "sqlite3.c")
    if not os.path.exists(amalg):
        say("sqlite3: generating the sqlite3.c amalgamation")
        sh("./configure CC=%s >/dev/null && make sqlite3.c >/dev/null" % CLANG, cwd=tree)
    lines = sum(1 for _ in open(amalg, errors="replace"))
    out_o = os.path.join(work, "sqlite3.o")
    shares, plugin_cpu, escc_cpu, clang_cpu = [], [], [], []
    env = dict(os.environ)
    for r in range(runs):
        say("sqlite3.c: -ftime-report run %d/%d" % (r + 1, runs))
        # The baseline carries -ftime-report too: its timers cost several
        # percent, which must not count as the plugin's.
        log = os.path.join(work, "sqlite3-clang-%d.log" % r)
        rc, _, _, _, out = timed("%s -O2 -c %s -o %s -ftime-report" % (CLANG, amalg, out_o),
                                 work, env, log)
        if rc == 0 and parse_time_report(out)[1]:
            clang_cpu.append(parse_time_report(out)[1])
        log = os.path.join(work, "sqlite3-escc-%d.log" % r)
        rc, _, cpu, _, out = timed("%s -O2 -c %s -o %s -ftime-report" % (tc.escc, amalg, out_o),
                                   work, env, log)
        if rc != 0:
            say("sqlite3.c: escc failed; log: %s" % log)
            return {"error": "escc -O2 -c sqlite3.c failed:\n" + "\n".join(out.splitlines()[-15:])}
        mine, total, names = parse_time_report(out)
        if total:
            shares.append(mine / total)
            plugin_cpu.append(mine)
            escc_cpu.append(total)
    if not shares:
        return {"error": "no -ftime-report output parsed"}
    return {"runs": runs, "lines": lines, "share": statistics.median(shares),
            "shares": shares, "plugin_cpu": statistics.median(plugin_cpu),
            "escc_cpu": statistics.median(escc_cpu),
            "clang_cpu": statistics.median(clang_cpu) if clang_cpu else None,
            "passes": sorted(names)}


def parse_time_report(text):
    """(escalloc CPU s, total CPU s, escalloc timer names) from -ftime-report.

    Sections are '===---===' banners with a title; rows end with the timer's
    name after four time columns.  We sum the User+System column of rows in the
    new pass manager's pass and analysis sections whose name mentions escalloc
    or escape, and divide by the front-end timer's total (the whole compile)."""
    mine, total, names = 0.0, None, set()
    section = ""
    row = re.compile(r"^\s*[\d.]+ \(\s*[\d.]+%\)\s+[\d.]+ \(\s*[\d.]+%\)\s+([\d.]+) \(\s*[\d.]+%\)"
                     r"\s+[\d.]+ \(\s*[\d.]+%\)\s+(.*\S)\s*$")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        # A banner is a title between two "===---" rules.
        if line.startswith("===---") and i + 2 < len(lines) and lines[i + 2].startswith("===---"):
            section = lines[i + 1].strip()
            continue
        m = row.match(line)
        if not m:
            continue
        cpu, name = float(m.group(1)), m.group(2)
        if section == "Clang front-end time report" and name == "Total":
            total = cpu
        elif section in ("Pass execution timing report", "Analysis execution timing report") \
                and name != "Total" and re.search(r"escalloc|escape", name, re.I):
            mine += cpu
            names.add(name)
    return mine, total, names


# --- machine -----------------------------------------------------------------------

def machine():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    osname = ""
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="(.*)"', f.read(), re.M)
            osname = m.group(1) if m else ""
    clang = subprocess.run([CLANG, "--version"], capture_output=True, text=True).stdout.splitlines()
    glibc = platform.libc_ver()[1]
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem_kib / 1048576, 1),
            "os": osname, "kernel": platform.release(), "clang": clang[0] if clang else "",
            "glibc": glibc, "loadavg_start": os.getloadavg()[0]}


def git_head():
    r = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                       text=True)
    return r.stdout.strip()


# --- main --------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="run.sh",
        description="Build real C programs from Debian sources four ways (glibc, escalloc "
                    "runtime drop-in, escc, LLVM Attributor) and run build 1 with mimalloc preloaded, run their own test suites, and "
                    "write a report (realworld.md, .json and plots; into docs/ only with --docs docs).",
        epilog="Programs: %s.  Builds: 1 glibc (clang-19 -O2), 2 rt (+ escalloc runtime as "
               "malloc), 3 escc (escc -O2), 4 attributor (clang-19 -O2 -mllvm "
               "-attributor-enable=module), 5 mimalloc (build 1's binaries with mimalloc preloaded).  Installs missing Debian packages and adds a "
               "deb-src entry (needs root or sudo)." % ", ".join(p.name for p in programs.PROGRAMS))
    ap.add_argument("--programs", default=",".join(p.name for p in programs.PROGRAMS),
                    help="comma-separated programs to run (default: all)")
    ap.add_argument("--builds", default=",".join(BUILDS),
                    help="comma-separated builds among %s (default: all five)" % ",".join(BUILDS))
    ap.add_argument("--runs", type=int, default=3,
                    help="test-suite runs per build; figures are medians (default: 3)")
    ap.add_argument("--time-report-runs", type=int, default=5,
                    help="sqlite3.c -ftime-report compiles for the plugin's share; 0 skips it "
                         "(default: 5)")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"),
                    help="escalloc build directory with bin/escc and lib/ (default: build)")
    ap.add_argument("--workdir", help="where sources are unpacked and built (default: a new "
                                      "temporary directory, removed at the end)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--jobs", type=int, default=2, help="make -j for the builds (default: 2)")
    ap.add_argument("--docs", metavar="DIR",
                    help="where the report goes (default: report/ in the work directory, "
                         "kept when the rest of it is removed; with --from-results, report/ "
                         "beside the first results file); `--docs docs` rewrites the "
                         "repository's docs/realworld.md, .json and plots")
    ap.add_argument("--no-report", action="store_true",
                    help="do not write the report (results JSON only, in the work directory)")
    ap.add_argument("--ci", action="store_true",
                    help="CI mode: the escc build only, one run, no report and no time report; "
                         "exit status 1 unless every test passes")
    ap.add_argument("--flags", choices=FLAVORS, default="plain",
                    help="compiler flags on top of -O2 for every build: plain, debian "
                    "(dpkg-buildflags: _FORTIFY_SOURCE=2, stack protector, relro) or lto "
                    "(-flto, lld); the report is docs/realworld.md, realworld-debian.md or "
                    "realworld-lto.md")
    ap.add_argument("--no-oracle", action="store_true",
                    help="skip the promotion oracle (a frame-pointer build of build 1 whose "
                    "suite runs once under test/realworld/frameoracle.c)")
    ap.add_argument("--no-install", action="store_true",
                    help="do not install packages or add the deb-src entry")
    ap.add_argument("--from-results", metavar="JSON",
                    help="only re-render the report from an earlier run's results.json "
                         "(its work directory) or docs/realworld.json, or several of them, comma-separated "
                         "(their programs merged); builds nothing")
    a = ap.parse_args(argv)
    names = [n for n in a.programs.split(",") if n]
    unknown = [n for n in names if n not in programs.BY_NAME]
    if unknown:
        ap.error("unknown program(s): %s (known: %s)" % (
            ", ".join(unknown), ", ".join(programs.BY_NAME)))
    a.program_list = [programs.BY_NAME[n] for n in names]
    a.build_list = [b for b in a.builds.split(",") if b]
    bad = [b for b in a.build_list if b not in BUILDS]
    if bad:
        ap.error("unknown build(s): %s (known: %s)" % (", ".join(bad), ", ".join(BUILDS)))
    a.build_list = [b for b in BUILDS if b in a.build_list]  # the order
    if a.ci:
        a.build_list, a.runs, a.time_report_runs, a.no_report = ["escc"], 1, 0, True
        a.no_oracle = True
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    if a.time_report_runs < 0:
        ap.error("--time-report-runs must be at least 0")
    return a


def report_dir(a, work=None):
    """Where the report goes: --docs when given (the repository's docs/ only
    then), else report/ in the work directory, or with --from-results beside
    the first results file, so that a run never rewrites docs/ unasked."""
    if a.docs:
        return os.path.abspath(a.docs)
    if a.from_results:
        first = a.from_results.split(",")[0]
        return os.path.join(os.path.dirname(os.path.abspath(first)), "report")
    return os.path.join(work, "report")


def remove_work(work, keep):
    """Removes the work directory, or, when the report is in it, everything
    in it but the report."""
    if os.path.dirname(keep) != work or not os.path.isdir(keep):
        shutil.rmtree(work, ignore_errors=True)
        return
    for name in os.listdir(work):
        path = os.path.join(work, name)
        if path == keep:
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)


def main(argv):
    a = parse_args(argv)
    if a.from_results:
        # Several results files (comma-separated, e.g. one per program run
        # separately) merge into one report: the first one's header, every
        # file's programs.
        results = None
        for path in a.from_results.split(","):
            with open(path) as f:
                part = json.load(f)
            if results is None:
                results = part
            else:
                results["programs"] += part["programs"]
        add_failure_details(results)
        print(report.summary_text(results))
        docs = report_dir(a)
        report.write(results, docs)
        say("report: %s" % os.path.join(docs, report.base_name(results) + ".md"))
        return 0
    if not a.no_install:
        ensure_environment(a.program_list, a.time_report_runs > 0, not a.no_report,
                           "mimalloc" in a.build_list)
    work = a.workdir or tempfile.mkdtemp(prefix="escalloc-realworld.")
    work = os.path.abspath(work)
    os.makedirs(work, exist_ok=True)
    say("work directory: %s" % work)
    docs = report_dir(a, work)
    tc = Toolchain(a.build_dir, work, a.flags)
    results = {"machine": machine(), "commit": git_head(), "runs": a.runs, "flavor": a.flags,
               "builds": a.build_list, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "programs": []}
    failed = False
    try:
        for prog in a.program_list:
            pristine = fetch(prog.srcpkg, os.path.join(work, "src"))
            res = run_program(prog, a.build_list, a.runs, work, tc, a.jobs, pristine,
                              oracle=not a.no_oracle)
            results["programs"].append(res)
            for b, br in res["builds"].items():
                if not br["built"] or not br.get("suite_ok"):
                    failed = True
        if a.time_report_runs:
            results["time_report"] = time_report(work, tc, a.time_report_runs)
        results["machine"]["loadavg_end"] = os.getloadavg()[0]
        add_failure_details(results)
        with open(os.path.join(work, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
        print(report.summary_text(results))
        if not a.no_report:
            report.write(results, docs)
            say("report: %s" % os.path.join(docs, report.base_name(results) + ".md"))
    finally:
        if a.keep or failed:
            say("kept the work directory (logs, trees): %s" % work)
        else:
            remove_work(work, docs)
    if failed:
        say("FAILED: a build or a test suite failed (see above)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
