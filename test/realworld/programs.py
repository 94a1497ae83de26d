"""programs.py — the real C programs that realworld.py builds and tests.

Each program is a Debian source package whose source ships its own test
suite.  A recipe is two shell scripts run in a fresh copy of the unpacked
source with the build's CC, CXX, CFLAGS, CXXFLAGS, LDFLAGS and JOBS in the
environment, and a parser that turns the test run's output (and the logs the
suite leaves in the tree) into (passed, total).

Rules every recipe keeps, so that the four builds differ only in the compiler:
  - static libraries only where the program has a choice (one heap per
    process, and the runtime linked once, into the executable);
  - configure and compile with exactly the environment's CC/CFLAGS/LDFLAGS;
  - the test script runs the suite only (nothing that rebuilds), so its time
    is the suite's time.
"""

import glob
import os
import re


class Program:
    def __init__(self, name, srcpkg, build, test, parse, unit, about, packages=(), binaries=(),
                 failed=None, flaky=None):
        self.name = name          # our name (--programs)
        self.srcpkg = srcpkg      # Debian source package
        self.build = build        # shell, run in the tree
        self.test = test          # shell, run in the tree; its output is parsed
        self.parse = parse        # (output, tree) -> (passed, total)
        self.unit = unit          # what one "test" is, for the report
        self.about = about        # one line for the report
        self.packages = packages  # Debian packages the build or tests need
        # Where allocation calls are counted: the object files, or these
        # executables when the build compiles and links in one step (no .o).
        self.binaries = binaries
        self.failed = failed      # output -> names of the failed tests (optional)
        # Tests known to fail now and then in every build, with the reason:
        # still counted as failures, but the report says why.
        self.flaky = flaky or {}


def _automake_counts(text):
    """PASS/FAIL/ERROR/XPASS/XFAIL/SKIP lines of automake's test harness."""
    counts = {}
    for kind in ("PASS", "FAIL", "ERROR", "XPASS", "XFAIL", "SKIP"):
        counts[kind] = len(re.findall(r"^%s: " % kind, text, re.M))
    return counts


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# zlib: `make test` runs example and example64 (each a chain of API checks that
# stops at the first failure); we add a minigzip round trip of 16 MiB so the
# run time is more than process start-up.
def _parse_zlib(out, tree):
    passed = len(re.findall(r"\*\*\* zlib (?:64-bit )?test OK \*\*\*", out))
    passed += out.count("*** minigzip round trip OK ***")
    return passed, 3


ZLIB = Program(
    "zlib", "zlib",
    build="""
./configure --static
make -j"$JOBS"
# The round trip's input: the sources, repeated to 16 MiB (compressible text).
for i in $(seq 200); do cat ./*.c ./*.h; done | head -c 16777216 > rw-input
""",
    test="""
make test
./minigzip -9 < rw-input > rw-input.gz
./minigzip -d < rw-input.gz > rw-output
cmp rw-input rw-output && echo "*** minigzip round trip OK ***"
""",
    parse=_parse_zlib,
    unit="test programs (example, example64, minigzip round trip)",
    about="zlib 1.2.13: `make test` (example, example64) and a 16 MiB minigzip round trip")


# cJSON: its unity-based tests under CMake/ctest.
def _parse_ctest(out, tree):
    m = re.search(r"(\d+)% tests passed, (\d+) tests? failed out of (\d+)", out)
    if not m:
        return 0, None
    total = int(m.group(3))
    return total - int(m.group(2)), total


CJSON = Program(
    "cjson", "cjson",
    build="""
mkdir -p rw-build && cd rw-build
cmake .. -G "Unix Makefiles" -DCMAKE_BUILD_TYPE= -DCMAKE_C_COMPILER="$CC" \
  -DENABLE_CJSON_TEST=ON -DENABLE_CJSON_UTILS=ON -DBUILD_SHARED_LIBS=OFF \
  -DENABLE_VALGRIND=OFF -DENABLE_SANITIZERS=OFF
make -j"$JOBS"
""",
    test="""
cd rw-build && ctest --output-on-failure
""",
    parse=_parse_ctest,
    unit="ctest tests (unity suites)",
    about="cJSON 1.7.15: 22 unity test programs (parser, printer, utils, misc) under ctest")


# expat: runtests (C) and runtestspp (the same suite compiled as C++), each
# printing "Checks: N, Failed: F" into its automake log.
def _parse_expat(out, tree):
    passed = total = 0
    found = 0
    for log in ("runtests.log", "runtestspp.log"):
        m = re.search(r"Checks: (\d+), Failed: (\d+)", _read(os.path.join(tree, "expat", "tests", log)))
        if m:
            found += 1
            total += int(m.group(1))
            passed += int(m.group(1)) - int(m.group(2))
    return passed, (total if found == 2 else None)


EXPAT = Program(
    "expat", "expat",
    build="""
cd expat
autoreconf -fi
./configure --disable-shared --without-docbook --without-examples
make -j"$JOBS"
make -j"$JOBS" -C tests runtests runtestspp
""",
    test="""
cd expat && make check
""",
    parse=_parse_expat,
    unit="minicheck checks (runtests + runtestspp)",
    about="Expat 2.5.0: runtests and runtestspp (the same minicheck suite built as C and C++)",
    packages=("autoconf", "automake", "libtool", "libstdc++-12-dev"))


# jq: tests/jqtest, onigtest, mantest ("N of M tests passed") and shtest (one
# shell script of CLI checks, pass or fail).
def _parse_jq(out, tree):
    passed = total = 0
    for log in sorted(glob.glob(os.path.join(tree, "tests", "*.log"))):
        if log.endswith("test-suite.log"):
            continue
        text = _read(log)
        m = re.search(r"(\d+) of (\d+) tests passed", text)
        if m:
            passed += int(m.group(1))
            total += int(m.group(2))
        else:
            total += 1
            passed += 1 if re.search(r"^PASS ", text, re.M) else 0
    counts = _automake_counts(out)
    if counts["FAIL"] + counts["ERROR"] and passed == total:
        passed -= 1  # a suite failed without saying which case
    return passed, (total or None)


JQ = Program(
    "jq", "jq",
    build="""
autoreconf -fi
./configure --disable-shared --with-oniguruma=yes --disable-docs \
  --disable-maintainer-mode --disable-valgrind
make -j"$JOBS"
""",
    test="""
make check
""",
    parse=_parse_jq,
    unit="jq test cases (jqtest, onigtest, mantest) + shtest",
    about="jq 1.6: tests/jqtest, onigtest, mantest (jq programs with expected output) and shtest (CLI)",
    packages=("libonig-dev", "autoconf", "automake", "libtool", "bison", "flex"))


# gawk: test/Makefile prints each test's name, then "ALL TESTS PASSED" or
# "N TESTS FAILED".  The Debian source has no manual, so we build only the
# program and its extensions, not doc/.
def _parse_gawk(out, tree):
    names = 0
    inside = False
    for line in out.splitlines():
        if line.startswith("======== Starting"):
            inside = True
        elif line.startswith("======== Done"):
            inside = False
        elif inside and re.fullmatch(r"[A-Za-z0-9_+.-]+", line):
            names += 1
    if "ALL TESTS PASSED" in out:
        return names, names
    m = re.search(r"^(\d+) TESTS? FAILED", out, re.M)
    if m:
        return names - int(m.group(1)), names
    return 0, None


def _failed_gawk(out):
    return re.findall(r"^============== _(\S+) =============$", out, re.M)


GAWK = Program(
    "gawk", "gawk",
    build="""
./configure --disable-nls
# SUBDIRS on the command line would reach the sub-makes too: build the
# extensions with a make of their own.
make -j"$JOBS" SUBDIRS='support .'
make -j"$JOBS" -C extension
""",
    test="""
make -C test check
""",
    parse=_parse_gawk,
    unit="gawk tests (test/Makefile)",
    about="GNU awk 5.2.1: `make -C test check` (basic, Unix, extension, shared library, MPFR tests)",
    packages=("locales",),
    failed=_failed_gawk,
    flaky={"time": "compares gettimeofday() with systime(), i.e. time(), which reads the coarse "
                   "clock and can lag by a tick: across a second boundary it prints 1, not 0",
           "sigpipe1": "`print \"hi\" | \"yes | true\"` then close(): the shell and both commands "
                       "may all have exited before gawk flushes its buffer at close(), and the write "
                       "then fails with EPIPE (`fatal: print to \"yes | true\" failed: Broken pipe`, "
                       "exit 2); seen once, in the escc build of a30a993 with -flto on the loaded 2-core machine"})


# SQLite: testfixture (the library with its Tcl test harness) on a fixed
# subset of its Tcl tests, one testfixture process per file, each printing
# "N errors out of M tests".  The subset is the SQL core (select, insert,
# update, delete, where, expr, func, join, index, view, trigger, with, upsert,
# json, ...): 106 files, about 68 000 cases.  delete.test is left out: its
# delete-8.* cases need a read-only file, which root can write anyway.
SQLITE_TESTS = ("select|insert|func|expr|where|json|trigger|join|update|index|view|with|upsert|"
                "collate|in|like|date|printf")


def _parse_sqlite(out, tree):
    passed = total = 0
    for m in re.finditer(r"^(\d+) errors out of (\d+) tests", out, re.M):
        total += int(m.group(2))
        passed += int(m.group(2)) - int(m.group(1))
    if re.search(r"^CRASHED ", out, re.M) or not total:
        return passed, None
    return passed, total


SQLITE = Program(
    "sqlite3", "sqlite3",
    build="""
./configure --disable-shared --disable-readline
make -j"$JOBS" testfixture
""",
    test="""
fail=0
for t in $(ls test | grep -E '^(%s)[0-9]*\\.test$'); do
  ./testfixture "test/$t" --verbose=0 > "rw-$t.log" 2>&1 || fail=1
  grep -E '^[0-9]+ errors out of' "rw-$t.log" || echo "CRASHED $t"
done
exit $fail
""" % SQLITE_TESTS,
    parse=_parse_sqlite,
    unit="Tcl test cases (106 files of the SQL core)",
    about="SQLite 3.40.1: testfixture on 106 Tcl test files of the SQL core (one process each)",
    packages=("tcl-dev", "tcl", "zlib1g-dev"),
    binaries=("testfixture",))


PROGRAMS = [ZLIB, CJSON, EXPAT, JQ, GAWK, SQLITE]
BY_NAME = {p.name: p for p in PROGRAMS}
