# lit configuration for escalloc: pass tests (.ll through opt + FileCheck) and
# end-to-end programs (.c through escc, run, FileCheck on output and remarks).
import os
import shutil
import lit.formats

config.name = "escalloc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ll", ".c", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.escalloc_obj_root, "test")
# realworld/, fuzz/, goescape/ and the runtime's cmocka tests have their own drivers.
config.excludes = ["realworld", "rtlib", "fuzz", "goescape", "Inputs", "lit.cfg.py", "CMakeLists.txt"]

lib = os.path.join(config.escalloc_obj_root, "lib")
config.environment["PATH"] = os.pathsep.join(
    [config.llvm_tools_dir, os.path.join(config.escalloc_obj_root, "bin"),
     config.environment.get("PATH", os.environ.get("PATH", ""))])
for var in ("HOME", "TMPDIR"):
    if var in os.environ:
        config.environment[var] = os.environ[var]

plugin = os.path.join(lib, "EscallocPass.so")
config.substitutions += [
    ("%opt", os.path.join(config.llvm_tools_dir, "opt") + " -load-pass-plugin=" + plugin),
    ("%clang", config.clang),
    # A host compiler that is not clang (tools/dev.sh installs gcc).
    ("%gcc", shutil.which("gcc") or "gcc"),
    ("%plugin", plugin),
    ("%rtlib_shared", os.path.join(lib, "libescalloc_rt.so")),
    ("%rtlib", os.path.join(lib, "libescalloc_rt.a")),
    ("%escc", os.path.join(config.escalloc_obj_root, "bin", "escc")),
    ("%include", os.path.join(config.escalloc_src_root, "include")),
    ("%srcroot", config.escalloc_src_root),
    ("%objroot", config.escalloc_obj_root),
    ("%cmake", config.cmake),
    ("%python", config.python),
    # Run a test program under the default 8 MiB main-thread stack, so a
    # promotion that overflows the stack fails the test.
    ("%run", "prlimit --stack=8388608 --"),
]
config.available_features.add("llvm-%s" % config.llvm_major)
