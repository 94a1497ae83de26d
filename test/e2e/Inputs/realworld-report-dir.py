"""Where test/realworld/realworld.py puts its report (realworld-report-dir.test):
prints the report directory relative to the work directory or the current one,
and what removing a work directory leaves behind."""
import os
import sys
import tempfile

sys.path.insert(0, sys.argv[1])
import realworld  # noqa: E402

work = tempfile.mkdtemp(prefix="rw-report-dir.")
for args in ([], ["--programs", "cjson", "--runs", "1"], ["--docs", "elsewhere"]):
    a = realworld.parse_args(args)
    d = realworld.report_dir(a, work)
    where = os.path.relpath(d, work) if d.startswith(work + os.sep) else \
        "cwd:" + os.path.relpath(d)
    print("args %r: report in %s" % (" ".join(args), where))

# remove_work keeps report/ and removes the rest; without a report, everything.
for name in ("src", "build3", "report"):
    os.makedirs(os.path.join(work, name))
open(os.path.join(work, "results.json"), "w").close()
open(os.path.join(work, "report", "realworld.md"), "w").close()
realworld.remove_work(work, realworld.report_dir(realworld.parse_args([]), work))
print("after removal: %s" % sorted(os.listdir(work)))
print("report kept: %s" % os.listdir(os.path.join(work, "report")))
realworld.remove_work(work, os.path.join(work, "absent"))
print("work directory exists: %s" % os.path.exists(work))
