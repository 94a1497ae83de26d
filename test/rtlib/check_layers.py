#!/usr/bin/env python3
"""check_layers.py — the runtime's layers call only downward (rtlib/README.md).

Every file of rtlib/ belongs to one unit of LAYERS; a unit may use itself and
the units it lists, nothing else.  Two checks:

  includes  each `#include "x"` of an rtlib file names a file of its own unit
            or of a unit it may use;
  symbols   each symbol an object file of the runtime leaves undefined and
            another object of the runtime defines (nm) belongs to a unit it
            may use: this catches calls through a prototype declared by hand
            as well as inline functions of a header that call upward.

  check_layers.py --src rtlib --nm nm OBJECT...    # ctest rtlib.layers
  check_layers.py --src rtlib --nm nm --self-check OBJECT...

--self-check adds one upward include (mheap.c includes mcache.h) and one
upward symbol (mheap.c.o calls mcache_create) to what it read and fails
unless both are reported, so the check is known to be able to fail.
"""
import argparse
import os
import re
import subprocess
import sys

# unit: (its files, the units it may use).  Lowest first.
LAYERS = {
    "base": (["base.c", "base.h", "runtime.h", "sizeclasses.h"], []),
    "heap": (["mheap.c", "mheap.h", "scavenge.c"], ["base"]),
    "central": (["mcentral.c", "mcentral.h"], ["heap", "base"]),
    "profile": (["profile.c", "profwrite.c", "profile.h"], ["base"]),
    "start": (["startspan.c", "startspan.h"], ["heap", "base"]),
    "cache": (["mcache.c", "mcache.h"], ["central", "start", "heap", "profile", "base"]),
    "stackguard": (["stackguard.c", "stackguard.h"], ["base"]),
    "entry": (["malloc.c", "entry.h", "forward.c", "forward.h", "valgrind.c", "newdelete.c"],
              ["cache", "central", "start", "heap", "profile", "stackguard", "base"]),
    "stats": (["memstats.c"], ["entry", "cache", "central", "start", "heap", "profile", "base"]),
    "api": (["dropin.c"], ["entry", "base"]),
}

# (file, file): allowed although the units say no, and why.
EXCEPTIONS = {
    ("forward.c", "dropin.c"):
        "forward.c compares the process's malloc family with dropin.c's to decide "
        "whether this copy forwards; it calls them only when they are another allocator's",
}

UNIT_OF = {f: u for u, (files, _) in LAYERS.items() for f in files}


def allowed(src, dst):
    us, ud = UNIT_OF[src], UNIT_OF[dst]
    return us == ud or ud in LAYERS[us][1] or (src, dst) in EXCEPTIONS


def read_includes(src_dir):
    """{file: [included rtlib files]} for every rtlib file; unknown files are errors."""
    errors, incs = [], {}
    for name in sorted(os.listdir(src_dir)):
        if not name.endswith((".c", ".h")):
            continue
        if name not in UNIT_OF:
            errors.append("%s belongs to no layer: add it to LAYERS in check_layers.py" % name)
            continue
        with open(os.path.join(src_dir, name)) as f:
            text = f.read()
        incs[name] = [m for m in re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M)
                      if os.path.basename(m) in UNIT_OF and "/" not in m]
    return incs, errors


def read_symbols(nm, objects):
    """({object's source: defined globals}, {object's source: undefined symbols})."""
    defined, undefined = {}, {}
    for obj in objects:
        src = re.sub(r"\.(o|obj)$", "", os.path.basename(obj))
        out = subprocess.run([nm, obj], check=True, capture_output=True, text=True).stdout
        d, u = set(), set()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] in ("U", "w"):
                u.add(parts[1])
            elif len(parts) == 3 and parts[1] in "TDBRVWCG":
                d.add(parts[2])
        defined[src], undefined[src] = d, u
    return defined, undefined


def check(incs, defined, undefined):
    errors = []
    for src, names in sorted(incs.items()):
        for inc in names:
            if not allowed(src, inc):
                errors.append("%s (%s) includes %s (%s)" % (src, UNIT_OF[src], inc, UNIT_OF[inc]))
    owner = {}
    for src, syms in defined.items():
        for s in syms:
            owner.setdefault(s, set()).add(src)
    for src, syms in sorted(undefined.items()):
        if src not in UNIT_OF:
            errors.append("object of %s belongs to no layer" % src)
            continue
        for s in sorted(syms):
            for dst in sorted(owner.get(s, ())):
                if dst != src and not allowed(src, dst):
                    errors.append("%s (%s) uses %s of %s (%s)" % (src, UNIT_OF[src], s, dst, UNIT_OF[dst]))
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--self-check", action="store_true")
    ap.add_argument("objects", nargs="+")
    args = ap.parse_args()
    incs, errors = read_includes(args.src)
    defined, undefined = read_symbols(args.nm, args.objects)
    if args.self_check:
        incs.setdefault("mheap.c", []).append("mcache.h")
        undefined.setdefault("mheap.c", set()).add("mcache_create")
        found = check(incs, defined, undefined)
        want = ["mheap.c (heap) includes mcache.h (cache)",
                "mheap.c (heap) uses mcache_create of mcache.c (cache)"]
        missing = [w for w in want if w not in found]
        for m in missing:
            print("self-check: not reported: " + m)
        sys.exit(1 if missing else 0)
    errors += check(incs, defined, undefined)
    for e in errors:
        print("layer violation: " + e)
    if errors:
        print("rtlib/README.md (Layers) and check_layers.py's LAYERS say which unit may use which.")
        sys.exit(1)
    print("layers: %d files, %d objects, every include and call downward" % (len(incs), len(defined)))


if __name__ == "__main__":
    main()
