#!/bin/sh
# preload.sh LIB — runs unmodified programs with the runtime LD_PRELOADed and
# compares their output with a run on glibc's allocator: python3 (a heavy
# allocation workload), sort, and git (when installed), once with
# ESCALLOC_DEBUG=1.  Fails on any difference or crash.
set -eu
lib=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "preload: FAIL: $*" >&2; exit 1; }

# The interpreter itself, not a wrapper script (pyenv shims run bash), with
# every Python object allocated by malloc rather than by pymalloc's arenas.
py=$(python3 -c 'import sys; print(sys.executable)')
export PYTHONMALLOC=malloc

# The runtime really is the allocator of the preloaded process.
LD_PRELOAD=$lib ESCALLOC_STATS=1 "$py" -c 'x=[str(i) for i in range(100000)]' 2>"$work/stats"
grep -q "escalloc: heap statistics at exit" "$work/stats" || fail "no statistics from a preloaded python3"
grep -Eq "Mallocs +[1-9][0-9]{5}" "$work/stats" || fail "preloaded python3 made too few mallocs: $(cat "$work/stats")"

cat >"$work/work.py" <<'PY'
import collections, hashlib, json, random, threading
random.seed(7)
d = {}
for i in range(200000):
    d[str(i) * (i % 7 + 1)] = [i] * (i % 5)
    if i % 3 == 0:
        d.pop(str(i // 2) * ((i // 2) % 7 + 1), None)
blob = json.dumps(sorted(d.items())[:5000])
out = [hashlib.sha256(blob.encode()).hexdigest(), len(d)]
def worker(n, res):
    c = collections.Counter(random.Random(n).choice("abcdefgh") * random.Random(n).randint(1, 200) for _ in range(20000))
    res[n] = sorted(c.items())[:3]
res = {}
ts = [threading.Thread(target=worker, args=(n, res)) for n in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
out.append(sorted(res.items()))
big = [bytearray(1 << 20) for _ in range(64)]
out.append(sum(len(b) for b in big))
print(out)
PY
"$py" "$work/work.py" >"$work/py.want"
LD_PRELOAD=$lib "$py" "$work/work.py" >"$work/py.got" || fail "python3 crashed"
cmp -s "$work/py.want" "$work/py.got" || fail "python3 output differs"
LD_PRELOAD=$lib ESCALLOC_DEBUG=1 "$py" "$work/work.py" >"$work/py.dbg" || fail "python3 crashed with ESCALLOC_DEBUG=1"
cmp -s "$work/py.want" "$work/py.dbg" || fail "python3 output differs with ESCALLOC_DEBUG=1"

awk 'BEGIN { srand(3); for (i = 0; i < 300000; i++) printf "%d %s\n", int(rand() * 1e9), substr("qwertyuiopasdfghjkl", 1 + i % 13) }' >"$work/lines"
sort -k2,2 -k1,1n "$work/lines" >"$work/sort.want"
LD_PRELOAD=$lib sort -k2,2 -k1,1n "$work/lines" >"$work/sort.got" || fail "sort crashed"
cmp -s "$work/sort.want" "$work/sort.got" || fail "sort output differs"
LD_PRELOAD=$lib sort --parallel=2 -S 1M -k1,1n "$work/lines" | LD_PRELOAD=$lib uniq -c | LD_PRELOAD=$lib sort -n | tail -3 >"$work/sort2.got" || fail "sort pipeline crashed"
sort --parallel=2 -S 1M -k1,1n "$work/lines" | uniq -c | sort -n | tail -3 >"$work/sort2.want"
cmp -s "$work/sort2.want" "$work/sort2.got" || fail "sort pipeline output differs"

if command -v git >/dev/null 2>&1; then
  repo=$work/repo
  git init -q "$repo"
  for i in 1 2 3 4 5; do
    seq 1 $((i * 1000)) >"$repo/f$i"
    git -C "$repo" add "f$i"
    git -C "$repo" -c user.name=t -c user.email=t@t commit -q -m "c$i"
  done
  git -C "$repo" log --stat >"$work/git.want"
  LD_PRELOAD=$lib git -C "$repo" log --stat >"$work/git.got" || fail "git log crashed"
  cmp -s "$work/git.want" "$work/git.got" || fail "git log output differs"
  LD_PRELOAD=$lib git -C "$repo" gc -q || fail "git gc crashed"
  LD_PRELOAD=$lib git -C "$repo" fsck --no-progress 2>"$work/fsck.err" || fail "git fsck failed"
else
  echo "preload: git not installed, skipped"
fi
echo "preload: ok"
