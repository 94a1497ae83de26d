#!/usr/bin/env python3
"""profile_check.py — runs profile_sites under the heap profiler and checks what
`go tool pprof -top` reads from its profiles against the truth the program
prints ("site NAME allocs N live L slot S").

  profile_check.py --go GO --prog PROG --workdir DIR MODE [--rate R] [--scale K]

Modes:
  exact     rate 1: every figure of every site equals the truth, with each
            unwinder (--nofp: the program has no frame pointers; all but fp)
  sampled   rate R: every figure within 5 standard deviations of the truth
            (an object of S bytes is sampled with p = 1 - exp(-S/R), so n
            sampled-of-N objects estimate N with relative sd sqrt((1-p)/(N p)))
            and churn_64, whose objects are all freed, has no in-use figure
  freeall   the program frees everything: in-use space and objects are 0
  threads   rate 1, four threads, cross-thread frees: exact figures
  fork      rate 1: a child's profile holds the parent's live objects and its
            own; the parent's lacks the child's; %p names one file per process
  ondemand  escalloc_write_heap_profile and ESCALLOC_MEMPROFILE both write a
            gzip'd profile with the site; a bad path fails with ENOENT
  off       rate 0: a profile with no samples is still written
  badenv    an invalid rate or unwinder and an unwritable path give clear
            messages
"""
import argparse
import math
import os
import re
import shutil
import subprocess
import sys

SAMPLE_TYPES = ("alloc_objects", "alloc_space", "inuse_objects", "inuse_space")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run_prog(args, prog, env_extra, mode_args, expect_rc=0):
    env = dict(os.environ)
    env.pop("ESCALLOC_MEMPROFILE", None)
    env.pop("ESCALLOC_MEMPROFILE_RATE", None)
    env.update(env_extra)
    p = subprocess.run([prog] + mode_args, env=env, capture_output=True, text=True, timeout=300)
    if p.returncode != expect_rc:
        fail("%s %s exited %d (expected %d): %s" % (prog, mode_args, p.returncode, expect_rc, p.stderr))
    truth = {}
    for line in p.stdout.splitlines():
        m = re.match(r"site (\S+) allocs (\d+) live (\d+) slot (\d+)$", line)
        if m:
            truth[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    return truth, p.stderr


def pprof_top(args, prog, profile, sample_index):
    """{function: flat value} and the total, as `go tool pprof -top` shows them."""
    env = dict(os.environ)
    # llvm-symbolizer first, for pprof to find (any addr2line works too).
    env["PATH"] = "/usr/lib/llvm-19/bin:" + env.get("PATH", "")
    cmd = [args.go, "tool", "pprof", "-top", "-nodecount=100000", "-nodefraction=0", "-edgefraction=0", "-unit=B",
           "-sample_index=" + sample_index, prog, profile]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        fail("%s failed: %s" % (" ".join(cmd), p.stderr))
        return {}, 0
    flat, total, in_table = {}, None, False
    for line in p.stdout.splitlines():
        m = re.search(r"of (\d+)B? total", line)
        if m:
            total = int(m.group(1))
        if re.match(r"\s*flat\s+flat%", line):
            in_table = True
            continue
        if in_table:
            cols = line.split(None, 5)
            if len(cols) == 6:
                flat[cols[5]] = flat.get(cols[5], 0) + int(cols[0].rstrip("B"))
    if total is None:
        fail("no total in pprof output for %s:\n%s" % (sample_index, p.stdout))
        total = 0
    return flat, total


def read_profile(args, prog, profile):
    if not os.path.exists(profile):
        fail("no profile written at " + profile)
        return None
    with open(profile, "rb") as f:
        if f.read(2) != b"\x1f\x8b":
            fail(profile + " is not gzip-compressed")
    return {si: pprof_top(args, prog, profile, si) for si in SAMPLE_TYPES}


def truth_of(allocs, live, slot):
    return {"alloc_objects": allocs, "alloc_space": allocs * slot,
            "inuse_objects": live, "inuse_space": live * slot}


def check_exact(prof, truth, where):
    for site, (allocs, live, slot) in truth.items():
        for si, want in truth_of(allocs, live, slot).items():
            got = prof[si][0].get(site, 0)
            if got != want:
                fail("%s: %s %s = %d, expected exactly %d" % (where, site, si, got, want))
            else:
                print("ok: %s: %s %s = %d" % (where, site, si, got))


def check_sampled(prof, truth, rate, where):
    for site, (allocs, live, slot) in truth.items():
        p = 1 - math.exp(-slot / rate)
        for si, want in truth_of(allocs, live, slot).items():
            n = allocs if si.startswith("alloc") else live
            got = prof[si][0].get(site, 0)
            if n == 0:
                ok, bound = got == 0, 0.0
            else:
                bound = 5 * math.sqrt((1 - p) / (n * p))
                ok = abs(got - want) <= bound * want
            msg = "%s: %s %s = %d, truth %d (%+.1f%%, allowed +-%.1f%%)" % (
                where, site, si, got, want, 100.0 * (got - want) / want if want else 0, 100 * bound)
            if ok:
                print("ok: " + msg)
            else:
                fail(msg)


def unwinder_of(args, prog, profile):
    """The unwinder the profile's comment names."""
    p = subprocess.run([args.go, "tool", "pprof", "-raw", prog, profile], capture_output=True,
                       text=True, timeout=300)
    m = re.search(r"stacks unwound by (\w+)", p.stdout)
    return m.group(1) if m else None


def mode_exact(args, work):
    # auto (the default: libgcc's unwinder, opened at the first sample, in a
    # program that carries no escalloc_frame_pointers marker, as these do
    # not), frame pointers, libunwind (dlopen'ed) when installed, and libgcc's
    # unwinder: each asked for, each named by the profile.  --nofp: the
    # program was built without frame pointers, which only fp cannot walk.
    have_libunwind = any(os.path.exists(os.path.join(d, "libunwind.so.8"))
                         for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"))
    for unwinder in ("auto", "fp", "libunwind", "libgcc"):
        if unwinder == "fp" and args.nofp:
            continue
        path = os.path.join(work, "exact-%s.prof" % unwinder)
        env = {"ESCALLOC_MEMPROFILE_RATE": "1", "ESCALLOC_MEMPROFILE": path}
        if unwinder != "auto":
            env["ESCALLOC_MEMPROFILE_UNWIND"] = unwinder
        truth, _ = run_prog(args, args.prog, env, ["sites"])
        prof = read_profile(args, args.prog, path)
        if not prof:
            continue
        used = unwinder_of(args, args.prog, path)
        want = {"auto": "libgcc", "libunwind": "libunwind" if have_libunwind else "fp"}.get(unwinder, unwinder)
        if used != want:
            fail("exact: stacks unwound by %s, expected %s" % (used, want))
        check_exact(prof, truth, "exact, %s, unwound by %s" % (unwinder, used))


def mode_sampled(args, work):
    path = os.path.join(work, "sampled-%d.prof" % args.rate)
    env = {"ESCALLOC_MEMPROFILE": path}
    if args.rate != 524288:
        env["ESCALLOC_MEMPROFILE_RATE"] = str(args.rate)  # the default rate is tested unset
    truth, _ = run_prog(args, args.prog, env, ["sites", str(args.scale)])
    prof = read_profile(args, args.prog, path)
    if prof:
        check_sampled(prof, truth, args.rate, "rate %d" % args.rate)


def mode_freeall(args, work):
    for rate in ("1", None):
        path = os.path.join(work, "freeall-%s.prof" % rate)
        env = {"ESCALLOC_MEMPROFILE": path}
        if rate:
            env["ESCALLOC_MEMPROFILE_RATE"] = rate
        truth, _ = run_prog(args, args.prog, env, ["freeall", "4"])
        prof = read_profile(args, args.prog, path)
        if not prof:
            continue
        where = "freeall at rate %s" % (rate or "default")
        if prof["alloc_space"][1] <= 0:
            fail(where + ": nothing allocated in the profile")
        for si in ("inuse_objects", "inuse_space"):
            if prof[si][1] != 0:
                fail("%s: %s total = %d, expected 0: %s" % (where, si, prof[si][1], prof[si][0]))
            else:
                print("ok: %s: %s total = 0 (alloc_space %d)" % (where, si, prof["alloc_space"][1]))
        if rate == "1":
            for site in truth:
                if prof["alloc_objects"][0].get(site, 0) != truth[site][0]:
                    fail("%s: %s alloc_objects %d, expected %d" % (
                        where, site, prof["alloc_objects"][0].get(site, 0), truth[site][0]))


def mode_threads(args, work):
    path = os.path.join(work, "threads.prof")
    truth, _ = run_prog(args, args.prog, {"ESCALLOC_MEMPROFILE_RATE": "1", "ESCALLOC_MEMPROFILE": path},
                        ["threads"])
    if len(truth) != 4:
        fail("threads: expected 4 sites, got %s" % truth)
    prof = read_profile(args, args.prog, path)
    if prof:
        check_exact(prof, truth, "threads")


def mode_fork(args, work):
    exit_tmpl = os.path.join(work, "exit.%p.prof")
    for f in os.listdir(work):
        if f.endswith(".prof"):
            os.unlink(os.path.join(work, f))
    truth, _ = run_prog(args, args.prog, {"ESCALLOC_MEMPROFILE_RATE": "1", "ESCALLOC_MEMPROFILE": exit_tmpl},
                        ["fork", work])
    if set(truth) != {"parent_site", "child_site"}:
        fail("fork: expected parent_site and child_site, got %s" % truth)
        return
    child = read_profile(args, args.prog, os.path.join(work, "child.prof"))
    parent = read_profile(args, args.prog, os.path.join(work, "parent.prof"))
    if child:
        check_exact(child, truth, "fork child")
    if parent:
        check_exact(parent, {"parent_site": truth["parent_site"]}, "fork parent")
        if parent["alloc_objects"][0].get("child_site"):
            fail("fork: the parent's profile holds the child's site")
    exits = sorted(f for f in os.listdir(work) if re.match(r"exit\.\d+\.prof$", f))
    # The last child and the parent exit through exit(); the others through _exit.
    if len(exits) != 2:
        fail("fork: expected 2 exit profiles (parent and last child) with %%p, got %s" % exits)
    else:
        print("ok: fork: exit profiles %s" % exits)
    # Without %p, only the process that read the variable writes at exit.
    one = os.path.join(work, "exit.prof")
    truth, _ = run_prog(args, args.prog, {"ESCALLOC_MEMPROFILE_RATE": "1", "ESCALLOC_MEMPROFILE": one},
                        ["fork", work])
    prof = read_profile(args, args.prog, one)
    if prof:
        check_exact(prof, {"parent_site": truth["parent_site"]}, "fork exit profile without %p")
        if prof["alloc_objects"][0].get("child_site"):
            fail("fork: a child overwrote the parent's exit profile")


def mode_ondemand(args, work):
    now = os.path.join(work, "ondemand.prof")
    at_exit = os.path.join(work, "ondemand-exit.prof")
    for f in (now, at_exit):
        if os.path.exists(f):
            os.unlink(f)
    truth, _ = run_prog(args, args.prog, {"ESCALLOC_MEMPROFILE_RATE": "1", "ESCALLOC_MEMPROFILE": at_exit},
                        ["ondemand", now])
    for f, where in ((now, "on demand"), (at_exit, "at exit")):
        prof = read_profile(args, args.prog, f)
        if prof:
            check_exact(prof, truth, where)


def mode_off(args, work):
    path = os.path.join(work, "off.prof")
    run_prog(args, args.prog, {"ESCALLOC_MEMPROFILE_RATE": "0", "ESCALLOC_MEMPROFILE": path}, ["sites"])
    prof = read_profile(args, args.prog, path)
    if prof:
        if prof["alloc_objects"][1] != 0:
            fail("rate 0: the profile has %d sampled objects" % prof["alloc_objects"][1])
        else:
            print("ok: rate 0: empty profile written")


def mode_badenv(args, work):
    path = os.path.join(work, "badenv.prof")
    _, err = run_prog(args, args.prog, {"ESCALLOC_MEMPROFILE_RATE": "lots", "ESCALLOC_MEMPROFILE": path},
                      ["sites"])
    want = "escalloc: invalid ESCALLOC_MEMPROFILE_RATE='lots'"
    if want not in err:
        fail("bad rate: stderr lacks %r: %r" % (want, err))
    if read_profile(args, args.prog, path):
        print("ok: bad rate reported, default used")
    _, err = run_prog(args, args.prog, {"ESCALLOC_MEMPROFILE_UNWIND": "fast"}, ["sites"])
    want = ("escalloc: invalid ESCALLOC_MEMPROFILE_UNWIND='fast' (expected auto, fp, libunwind or libgcc); "
            "using auto")
    if want not in err:
        fail("bad unwinder: stderr lacks %r: %r" % (want, err))
    else:
        print("ok: bad unwinder reported")
    bad = "/nonexistent-escalloc-dir/x.prof"
    _, err = run_prog(args, args.prog, {"ESCALLOC_MEMPROFILE": bad}, ["sites"])
    want = "escalloc: cannot write the heap profile to %s: No such file or directory" % bad
    if want not in err:
        fail("unwritable path: stderr lacks %r: %r" % (want, err))
    else:
        print("ok: unwritable path reported")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--go", required=True)
    ap.add_argument("--prog", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--rate", type=int, default=524288)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--nofp", action="store_true", help="the program has no frame pointers")
    ap.add_argument("mode")
    args = ap.parse_args()
    if not shutil.which(args.go):
        print("FAIL: '%s' not found: the profile tests read profiles with `go tool pprof`; "
              "install golang-go (tools/dev.sh deps)" % args.go)
        return 1
    args.prog = os.path.abspath(args.prog)
    work = os.path.abspath(args.workdir)
    os.makedirs(work, exist_ok=True)
    globals()["mode_" + args.mode](args, work)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
