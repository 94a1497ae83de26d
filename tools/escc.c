/*
 * escc — the escalloc compiler driver.
 *
 * Behaves like `cc`: every argument it does not own passes through to clang
 * unchanged.  It adds the escalloc pass plugin (as -fpass-plugin= so the pass
 * runs, and as -fplugin= so clang accepts `-mllvm -escalloc-*` knobs) and, when
 * linking, the escalloc runtime: statically into executables, as the shared
 * library into -shared outputs, so that a process never holds two heaps (an
 * executable's static runtime exports malloc and the escalloc_* entry points,
 * which interpose on the shared runtime's copies).
 *
 * Everything escc needs is found relative to its own location, identically in
 * the build tree and in an installed prefix:
 *   <dir of escc>/../lib/EscallocPass.so, libescalloc_rt.{a,so}
 *   <dir of escc>/../include/escalloc/ (the public headers)
 *
 * Before running clang, escc checks that clang, the plugin and the runtime exist
 * and that clang's major version is the LLVM version the plugin was built for:
 * a plugin loaded into another LLVM crashes inside clang, so a mismatch is a
 * one-line "escc: error: ..." instead.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ESCC_LLVM_MAJOR
#error "ESCC_LLVM_MAJOR must be defined by the build"
#endif

enum runtime_mode { RT_AUTO, RT_STATIC, RT_SHARED, RT_NONE };

struct options {
  bool explain;          /* -m: print the decisions */
  int explain_level;     /* -m=2: also the flow, step by step */
  bool links;            /* the command produces a linked output */
  bool shared;           /* -shared */
  bool lto;              /* -flto or -flto=... */
  bool verbose;          /* -v: echo the clang command line */
  bool frame_pointers;   /* --frame-pointers: compile with them */
  /* -mllvm -escalloc-* knobs, forwarded to lld when the analysis runs there. */
  const char *knobs[64];
  int nknobs;
  enum runtime_mode runtime;
  /* The sanitizers enabled by -fsanitize= that own malloc (a bit each, in
   * the order of malloc_sanitizers[]), net of -fno-sanitize=. */
  unsigned malloc_sanitizers;
};

static const char *progname = "escc";

static void die(const char *fmt, const char *arg) {
  fprintf(stderr, "%s: error: ", progname);
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  exit(1);
}

static void print_help(void) {
  printf(
      "OVERVIEW: escc - compile C with escalloc (Go-style escape analysis and allocation)\n"
      "\n"
      "USAGE: escc [options] file...\n"
      "\n"
      "escc runs clang with the escalloc pass plugin and links the escalloc runtime.\n"
      "Every option not listed here is passed to clang unchanged; @file response\n"
      "files are read as clang reads them.  Manual: man escc.\n"
      "\n"
      "OPTIONS:\n"
      "  -m                 Print the escape decisions (like Go's -gcflags=-m):\n"
      "                     -Rpass=escalloc -Rpass-missed=escalloc -Rpass-analysis=escalloc\n"
      "  -m=2               As -m, and explain each escape step by step (-escalloc-explain)\n"
      "  --rt=MODE          Runtime to link: static (default for executables),\n"
      "                     shared (default with -shared), none\n"
      "  --frame-pointers   Compile with -fno-omit-frame-pointer -momit-leaf-frame-pointer:\n"
      "                     the heap profiler then unwinds by frame pointers (cheap)\n"
      "                     instead of libgcc's DWARF unwinder (microseconds a stack)\n"
      "  --help             Display this help\n"
      "  --version          Display escc's version, the LLVM it was built for, an\n"
      "                     identity (hash) of the plugin and runtime, and clang's version\n"
      "\n"
      "WHAT ESCC ADDS:\n"
      "  -fpass-plugin=<lib>/EscallocPass.so -fplugin=<lib>/EscallocPass.so -I<include>;\n"
      "  linking an executable: -Wl,--whole-archive <lib>/libescalloc_rt.a\n"
      "  -Wl,--no-whole-archive -lpthread; linking -shared: -lescalloc_rt with an rpath.\n"
      "  -v shows the clang command line.\n"
      "\n"
      "LINK-TIME OPTIMIZATION:\n"
      "  With -flto or -flto=thin the compile defers the decision and the link decides\n"
      "  over the whole program: escc links with lld (-fuse-ld=lld) and loads the plugin\n"
      "  into it.  -m and -mllvm -escalloc-* knobs work at the link as at a compile,\n"
      "  and so do knobs written for the linker (-Wl,-mllvm,-escalloc-*, -Xlinker):\n"
      "  escc hands them to the plugin in ESCALLOC_OPTIONS, as lld would reject them.\n"
      "    escc -O2 -flto -c a.c b.c && escc -O2 -flto -m a.o b.o -o prog\n"
      "\n"
      "KNOBS (-mllvm -escalloc-<knob>=<value>, at a compile or an LTO link):\n"
      "  -escalloc-max-stack-size=N   largest object moved to the stack (4096 bytes)\n"
      "  -escalloc-max-frame=N        promoted bytes one frame may gain (16384)\n"
      "  -escalloc-max-path=N         promoted bytes along any call path (65536)\n"
      "  -escalloc-opaque-frame=N     frame budget when calling code outside the module (4096)\n"
      "  -escalloc-allow-recursion    promote in functions on a call-graph cycle (off)\n"
      "  -escalloc-fallback-size=N    stack buffer for a non-constant size (64; 0: heap)\n"
      "  -escalloc-wrapper-size=N     largest allocation wrapper inlined to decide (64)\n"
      "  -escalloc-stack-guard=false  no run-time check that the stack has room\n"
      "  -escalloc-lower=false        keep malloc/free for the heap (promotion only)\n"
      "  All knobs with their defaults:\n"
      "    escc -mllvm --help-hidden -c -x c /dev/null -o /dev/null | grep escalloc\n"
      "\n"
      "ENVIRONMENT:\n"
      "  ESCC_CC            The clang to run (default: %s); its major version must be %d\n"
      "  ESCALLOC_OPTIONS   Knobs for the plugin inside lld (escc sets it at an LTO link)\n"
      "  CCACHE_COMPILERCHECK='%%compiler%% --version'\n"
      "                     makes ccache hash escc's identity, which changes with the\n"
      "                     plugin and runtime (ccache's default hashes escc alone)\n"
      "\n"
      "RUNTIME ENVIRONMENT (read by programs linked with the runtime):\n"
      "  ESCALLOC_STATS=1             print a MemStats summary at exit\n"
      "  ESCALLOC_DEBUG=1             extra checks (fill patterns, stricter free validation)\n"
      "  ESCALLOC_STACK_SHARE=P       percent of a stack, at its top, promoted objects may use (12)\n"
      "  ESCALLOC_STACK_RESERVE=N     stack bytes below it that stay the program's, at least (65536)\n"
      "  ESCALLOC_MEMPROFILE=path     write a pprof heap profile at exit (%%p: the pid)\n"
      "  ESCALLOC_MEMPROFILE_RATE=N   sample one allocation per N bytes (524288; 0 off)\n"
      "  ESCALLOC_MEMPROFILE_UNWIND=auto|fp|libunwind|libgcc   how sampled stacks are unwound\n"
      "\n"
      "BUILD SYSTEMS: pkg-config --cflags --libs escalloc (plugin flags:\n"
      "  pkg-config --variable=plugin_cflags escalloc); CMake: find_package(escalloc),\n"
      "  targets escalloc::rt, escalloc::rt_static, escalloc::plugin.\n",
      ESCC_DEFAULT_CC, ESCC_LLVM_MAJOR);
}

/* FNV-1a over a file's bytes, folded into h; false when it cannot be read. */
static bool hash_file(const char *path, unsigned long long *h) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  unsigned char buf[1 << 16];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0)
    for (size_t k = 0; k < got; k++)
      *h = (*h ^ buf[k]) * 0x100000001b3ULL;
  fclose(f);
  return true;
}

/* The directory that holds this executable. */
static void self_dir(char *out, size_t size) {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0)
    die("cannot locate the escc executable (%s)", strerror(errno));
  path[n] = '\0';
  char *slash = strrchr(path, '/');
  if (slash)
    *slash = '\0';
  snprintf(out, size, "%s", path);
}

static char *join(const char *dir, const char *rel, const char *name) {
  size_t n = strlen(dir) + strlen(rel) + strlen(name) + 3;
  char *s = malloc(n);
  if (!s)
    die("%s", "out of memory");
  snprintf(s, n, "%s/%s%s%s", dir, rel, *name ? "/" : "", name);
  /* Canonicalise when the file exists, for readable error messages. */
  char *real = realpath(s, NULL);
  if (real) {
    free(s);
    return real;
  }
  return s;
}

static bool is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *concat(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 1;
  char *s = malloc(n);
  if (!s)
    die("%s", "out of memory");
  snprintf(s, n, "%s%s", a, b);
  return s;
}

/* Runs `cc --version` and returns clang's major version, 0 when cc runs but is
 * not clang (gcc, or a wrapper of it), or -1 when cc cannot be run.  Uses
 * fork/exec rather than popen so that no shell interprets cc. */
static int clang_major_version(const char *cc) {
  int fds[2];
  if (pipe(fds) != 0)
    return -1;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execlp(cc, cc, "--version", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  char buf[4096] = {0};
  ssize_t total = 0, n;
  while (total < (ssize_t)sizeof buf - 1 &&
         (n = read(fds[0], buf + total, sizeof buf - 1 - total)) > 0)
    total += n;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || total == 0)
    return -1;
  /* "clang version 19.1.7", "Debian clang version 19.1.7 (...)". */
  const char *v = strstr(buf, "clang version ");
  if (!v)
    return 0;
  return atoi(v + strlen("clang version "));
}

/* Response files, expanded as clang's driver expands them (llvm::cl's
 * ExpandResponseFiles with the GNU tokenizer): `@file` names a file whose
 * contents are split into arguments at unquoted whitespace; a backslash
 * escapes the next character; '...' and "..." quote (a backslash inside them
 * still escapes); an `@file` inside is expanded in turn, relative to the
 * current directory as clang-19 does; an `@file` that cannot be read stays
 * an argument (clang then reports it as a missing input). */
struct arglist {
  char **v;
  int *origin; /* index in argv of the argument each one came from */
  int n, cap;
};

static void push_arg(struct arglist *l, char *arg, int origin) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
    l->origin = realloc(l->origin, (size_t)l->cap * sizeof *l->origin);
    if (!l->v || !l->origin)
      die("%s", "out of memory");
  }
  l->v[l->n] = arg;
  l->origin[l->n++] = origin;
}

static bool is_rsp_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Splits src (len bytes) into arguments as llvm::cl::TokenizeGNUCommandLine. */
static void tokenize_gnu(const char *src, size_t len, struct arglist *out, int origin) {
  char *tok = malloc(len + 1);
  if (!tok)
    die("%s", "out of memory");
  size_t t = 0;
  for (size_t i = 0; i < len; i++) {
    if (t == 0) {
      while (i < len && is_rsp_space(src[i]))
        i++;
      if (i == len)
        break;
    }
    char c = src[i];
    if (i + 1 < len && c == '\\') {
      tok[t++] = src[++i];
      continue;
    }
    if (c == '\'' || c == '"') {
      for (i++; i < len && src[i] != c; i++) {
        if (src[i] == '\\' && i + 1 < len)
          i++;
        tok[t++] = src[i];
      }
      if (i == len)
        break;
      continue;
    }
    if (is_rsp_space(c)) {
      if (t) {
        tok[t] = '\0';
        push_arg(out, strdup(tok), origin);
      }
      t = 0;
      continue;
    }
    tok[t++] = c;
  }
  if (t) {
    tok[t] = '\0';
    push_arg(out, strdup(tok), origin);
  }
  free(tok);
}

static bool read_file(const char *path, char **data, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  size_t cap = 4096, n = 0, got;
  char *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap)
      buf = realloc(buf, cap *= 2);
  }
  bool ok = buf && !ferror(f);
  fclose(f);
  if (!ok) {
    free(buf);
    return false;
  }
  *data = buf;
  *len = n;
  return true;
}

/* Appends arg to out, expanding it when it is a readable @file.  depth bounds
 * the nesting (clang reports a cycle; escc leaves that report to clang by
 * passing the argument through unexpanded). */
static void expand_arg(char *arg, int origin, struct arglist *out, int depth) {
  char *data;
  size_t len;
  struct stat st;
  if (arg[0] != '@' || depth > 64 || stat(arg + 1, &st) != 0 || !S_ISREG(st.st_mode) ||
      !read_file(arg + 1, &data, &len)) {
    push_arg(out, arg, origin);
    return;
  }
  const char *src = data;
  if (len >= 3 && !memcmp(src, "\xef\xbb\xbf", 3)) { /* UTF-8 byte order mark */
    src += 3;
    len -= 3;
  }
  struct arglist inner = {0};
  tokenize_gnu(src, len, &inner, origin);
  free(data);
  for (int k = 0; k < inner.n; k++)
    expand_arg(inner.v[k], origin, out, depth + 1);
  free(inner.v);
  free(inner.origin);
}

/* Sanitizers whose run-time library replaces malloc: with one of them escc
 * links no escalloc runtime (two mallocs in one process crash at start-up)
 * and the pass lowers nothing (the sanitizer owns every heap object, so it
 * reports heap errors as clang's program would).  Promotion to the stack
 * stays: the sanitizers check stack objects too. */
static const char *const malloc_sanitizers[] = {
    "address", "hwaddress", "thread", "memory", "leak",
    "kernel-address", "kernel-hwaddress", "kernel-memory",
};
enum { NUM_MALLOC_SANITIZERS = sizeof malloc_sanitizers / sizeof malloc_sanitizers[0] };

/* Tracks -fsanitize=a,b,... and -fno-sanitize=... (the last one wins, as in
 * clang); returns false for any other argument. */
static bool scan_sanitize(const char *arg, struct options *o) {
  bool on = !strncmp(arg, "-fsanitize=", 11);
  if (!on && strncmp(arg, "-fno-sanitize=", 14))
    return false;
  const char *list = arg + (on ? 11 : 14);
  while (*list) {
    size_t len = strcspn(list, ",");
    for (int i = 0; i < NUM_MALLOC_SANITIZERS; i++)
      if (strlen(malloc_sanitizers[i]) == len && !strncmp(list, malloc_sanitizers[i], len)) {
        if (on)
          o->malloc_sanitizers |= 1u << i;
        else
          o->malloc_sanitizers &= ~(1u << i);
      }
    if (!on && len == 3 && !strncmp(list, "all", 3))
      o->malloc_sanitizers = 0;
    list += len + (list[len] == ',');
  }
  return true;
}

/* With a sanitizer that owns malloc: no runtime, no lowering (the knob goes
 * through ESCALLOC_OPTIONS, which the plugin reads in clang and in lld, so
 * a link-only command gets no "argument unused" warning), and one note. */
static void defer_to_sanitizer(struct options *o, bool has_input) {
  if (!o->malloc_sanitizers)
    return;
  const char *name = malloc_sanitizers[__builtin_ctz(o->malloc_sanitizers)];
  o->runtime = RT_NONE;
  const char *old = getenv("ESCALLOC_OPTIONS");
  char *env = concat(old && *old ? old : "", old && *old ? " -escalloc-lower=false"
                                                          : "-escalloc-lower=false");
  setenv("ESCALLOC_OPTIONS", env, 1);
  if (has_input)
    fprintf(stderr,
            "%s: note: -fsanitize=%s owns malloc: escalloc's runtime is not linked and no "
            "allocation is lowered (moves to the stack stay)\n",
            progname, name);
}

/* Classifies the arguments escc must know about; returns true for an argument
 * that escc consumes (not passed to clang). */
static bool scan_arg(const char *arg, struct options *o) {
  if (strcmp(arg, "-m") == 0) {
    o->explain = true;
    return true;
  }
  if (strncmp(arg, "-m=", 3) == 0) {
    o->explain = true;
    o->explain_level = atoi(arg + 3);
    if (o->explain_level < 1 || o->explain_level > 2)
      die("invalid value in '%s' (expected -m, -m=1 or -m=2)", arg);
    return true;
  }
  if (strcmp(arg, "--frame-pointers") == 0) {
    o->frame_pointers = true;
    return true;
  }
  if (strncmp(arg, "--rt=", 5) == 0) {
    const char *m = arg + 5;
    if (strcmp(m, "static") == 0)
      o->runtime = RT_STATIC;
    else if (strcmp(m, "shared") == 0)
      o->runtime = RT_SHARED;
    else if (strcmp(m, "none") == 0)
      o->runtime = RT_NONE;
    else
      die("invalid value in '%s' (expected static, shared or none)", arg);
    return true;
  }
  if (!strcmp(arg, "-c") || !strcmp(arg, "-S") || !strcmp(arg, "-E") ||
      !strcmp(arg, "-fsyntax-only") || !strcmp(arg, "-M") || !strcmp(arg, "-MM") ||
      !strcmp(arg, "-###") || !strcmp(arg, "-dumpversion") || !strcmp(arg, "--version") ||
      !strncmp(arg, "-print-", 7) || !strncmp(arg, "--print-", 8))
    o->links = false;
  else if (!strcmp(arg, "-shared"))
    o->shared = true;
  else if (!strcmp(arg, "-flto") || !strncmp(arg, "-flto=", 6))
    o->lto = true;
  else if (!strcmp(arg, "-fno-lto"))
    o->lto = false;
  else if (!strcmp(arg, "-v"))
    o->verbose = true;
  else
    scan_sanitize(arg, o);
  return false;
}

/* An input clang compiles, by its suffix (clang's types, C family only). */
static bool is_source(const char *arg) {
  static const char *const suffixes[] = {".c", ".i", ".cc", ".cp", ".cxx", ".cpp", ".CPP",
                                         ".c++", ".C", ".ii", ".m", ".mi", ".mm", ".M", ".mii"};
  const char *dot = strrchr(arg, '.');
  if (!strcmp(arg, "-"))
    return true;
  if (!dot)
    return false;
  for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++)
    if (!strcmp(dot, suffixes[k]))
      return true;
  return false;
}

/* Options whose value is the next argument: the value is not an input. */
static bool takes_value(const char *arg) {
  static const char *const with_value[] = {
      "-o", "-x", "-I", "-D", "-U", "-L", "-include", "-imacros", "-isystem", "-idirafter",
      "-iquote", "-isysroot", "-MF", "-MT", "-MQ", "-Xlinker", "-Xclang", "-Xassembler",
      "-Xpreprocessor", "-mllvm", "-T", "-target", "-arch", "-z", "-u", "-e", "--param"};
  for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++)
    if (!strcmp(arg, with_value[k]))
      return true;
  return false;
}

/* Records an -escalloc-* knob for the plugin (ESCALLOC_OPTIONS at an LTO link). */
static void add_knob(struct options *o, const char *knob) {
  if (o->nknobs == (int)(sizeof o->knobs / sizeof o->knobs[0]))
    die("%s", "too many -mllvm -escalloc-* knobs");
  o->knobs[o->nknobs++] = knob;
}

/* A knob in one of the forms lld takes an LLVM option in (`-mllvm X`,
 * `-mllvm=X`, `--mllvm=X`, `-plugin-opt=-X`): the knob, or NULL.  \p next is
 * the linker argument after \p tok (NULL if none); *pair is set when the knob
 * is that argument. */
static const char *linker_knob(const char *tok, const char *next, bool *pair) {
  static const char *const joined[] = {"-mllvm=", "--mllvm=", "-plugin-opt=", "--plugin-opt="};
  *pair = false;
  if ((!strcmp(tok, "-mllvm") || !strcmp(tok, "--mllvm")) && next &&
      !strncmp(next, "-escalloc-", 10)) {
    *pair = true;
    return next;
  }
  for (size_t k = 0; k < sizeof joined / sizeof joined[0]; k++) {
    size_t len = strlen(joined[k]);
    if (!strncmp(tok, joined[k], len) && !strncmp(tok + len, "-escalloc-", 10))
      return tok + len;
  }
  return NULL;
}

/* lld parses its -mllvm options before it loads the plugin, so a knob given
 * to the linker (-Wl,-mllvm,-escalloc-*, -Xlinker -mllvm -Xlinker
 * -escalloc-*, or the =/plugin-opt forms) would be rejected there.  At an LTO
 * link escc takes such knobs out of the linker's arguments and adds them to
 * \p o's knobs, which reach the plugin through ESCALLOC_OPTIONS.  A -Wl list
 * keeps its other entries. */
static void take_linker_knobs(struct arglist *ex, bool *consumed, bool *origin_consumed,
                              struct options *o) {
  /* The linker's arguments in order: each -Wl piece and -Xlinker value. */
  struct ltok {
    int arg; /* index in ex of the -Wl argument or of the -Xlinker value */
    char *text;
    bool drop;
  } *t;
  int nt = 0, cap = 1;
  for (int i = 0; i < ex->n; i++)
    for (const char *c = ex->v[i]; *c; c++)
      cap += *c == ',';
  cap += ex->n;
  t = calloc((size_t)cap, sizeof *t);
  if (!t)
    die("%s", "out of memory");
  for (int i = 0; i < ex->n; i++) {
    const char *a = ex->v[i];
    if (consumed[i])
      continue;
    if (!strcmp(a, "-Xlinker") && i + 1 < ex->n) {
      t[nt++] = (struct ltok){i + 1, ex->v[i + 1], false};
      i++;
    } else if (!strncmp(a, "-Wl,", 4)) {
      char *copy = strdup(a + 4);
      if (!copy)
        die("%s", "out of memory");
      for (char *p = copy;; p++) {
        char *comma = strchr(p, ',');
        if (comma)
          *comma = '\0';
        t[nt++] = (struct ltok){i, p, false};
        if (!comma)
          break;
        p = comma;
      }
    } else if (takes_value(a) && i + 1 < ex->n) {
      i++;
    }
  }
  for (int k = 0; k < nt; k++) {
    bool pair;
    const char *knob = linker_knob(t[k].text, k + 1 < nt ? t[k + 1].text : NULL, &pair);
    if (!knob)
      continue;
    add_knob(o, knob);
    t[k].drop = true;
    if (pair)
      t[++k].drop = true;
  }
  /* Rewrite what lost a piece: a -Wl list without it (gone if empty), an
   * -Xlinker pair not at all. */
  for (int k = 0; k < nt; k++) {
    int i = t[k].arg;
    if (!t[k].drop || consumed[i])
      continue;
    origin_consumed[ex->origin[i]] = true;
    if (strncmp(ex->v[i], "-Wl,", 4) != 0) {
      consumed[i] = consumed[i - 1] = true;
      origin_consumed[ex->origin[i - 1]] = true;
      continue;
    }
    char *kept = strdup("-Wl");
    for (int j = 0; j < nt; j++)
      if (t[j].arg == i && !t[j].drop) {
        char *more = concat(kept, ",");
        kept = concat(more, t[j].text);
      }
    if (!strcmp(kept, "-Wl"))
      consumed[i] = true;
    else
      ex->v[i] = kept;
  }
  free(t);
}

int main(int argc, char **argv) {
  struct options o = {.links = true, .runtime = RT_AUTO};
  bool has_input = false;
  bool has_source = false; /* an input clang compiles (not an object or library) */
  /* An input language named by -x is in force at the end of the command
   * line: what escc appends (the runtime archive) then needs `-x none`. */
  bool x_in_force = false;
  bool want_version = false;

  /* The arguments as clang will see them, response files expanded. */
  struct arglist ex = {0};
  for (int i = 1; i < argc; i++)
    expand_arg(argv[i], i, &ex, 0);

  for (int i = 0; i < ex.n; i++) {
    if (!strcmp(ex.v[i], "--help") || !strcmp(ex.v[i], "-help")) {
      print_help();
      return 0;
    }
    if (!strcmp(ex.v[i], "--version"))
      want_version = true;
  }

  const char *cc = getenv("ESCC_CC");
  if (!cc || !*cc)
    cc = ESCC_DEFAULT_CC;

  char dir[PATH_MAX];
  self_dir(dir, sizeof dir);
  /* The install's lib directory (lib, or lib/<multiarch> for a /usr prefix);
   * the build tree always uses ../lib. */
  const char *librel = ESCC_LIBDIR_REL;
  char *plugin = join(dir, librel, "EscallocPass.so");
  if (!is_file(plugin) && strcmp(librel, "../lib") != 0) {
    char *build_tree_plugin = join(dir, "../lib", "EscallocPass.so");
    if (is_file(build_tree_plugin)) {
      librel = "../lib";
      plugin = build_tree_plugin;
    }
  }
  char *rt_static = join(dir, librel, "libescalloc_rt.a");
  char *rt_shared = join(dir, librel, "libescalloc_rt.so");
  char *libdir = join(dir, librel, "");
  char *incdir = join(dir, ESCC_INCLUDEDIR_REL, "");

  if (want_version) {
    /* The identity of what escc adds, for caches that key on the compiler's
     * --version (ccache's CCACHE_COMPILERCHECK): replacing the plugin or the
     * runtime changes it, as a new compiler would. */
    unsigned long long h = 0xcbf29ce484222325ULL;
    bool found = hash_file(plugin, &h);
    found &= hash_file(rt_static, &h);
    found &= hash_file(rt_shared, &h);
    printf("escc (escalloc) %s, for LLVM %d, plugin and runtime %016llx%s\n", ESCC_VERSION,
           ESCC_LLVM_MAJOR, h, found ? "" : " (incomplete)");
    fflush(stdout);
    /* Then clang's own --version, as cc drivers do. */
  }

  /* Worst case: every argument plus the ones escc adds. */
  char **args = calloc((size_t)ex.n + (size_t)argc + 42, sizeof *args);
  bool *consumed = calloc((size_t)ex.n + 1, sizeof *consumed);
  /* Per argument of argv: some argument expanded from it is escc's own. */
  bool *origin_consumed = calloc((size_t)argc, sizeof *origin_consumed);
  if (!args || !consumed || !origin_consumed)
    die("%s", "out of memory");
  int n = 0;
  args[n++] = (char *)cc;

  for (int i = 0; i < ex.n; i++) {
    const char *a = ex.v[i];
    if (scan_arg(a, &o)) {
      consumed[i] = origin_consumed[ex.origin[i]] = true;
      continue;
    }
    if (!strcmp(a, "-mllvm") && i + 1 < ex.n && !strncmp(ex.v[i + 1], "-escalloc-", 10)) {
      add_knob(&o, ex.v[i + 1]);
    }
    if (!strcmp(a, "-x") && i + 1 < ex.n)
      x_in_force = strcmp(ex.v[i + 1], "none") != 0;
    else if (!strncmp(a, "-x", 2) && a[2])
      x_in_force = strcmp(a + 2, "none") != 0;
    if (takes_value(a) && i + 1 < ex.n) {
      i++; /* the value: neither an input nor an option of escc's */
      continue;
    }
    if (a[0] != '-' || !strcmp(a, "-")) {
      has_input = true;
      if (x_in_force || is_source(a))
        has_source = true;
    }
  }
  if (o.links && o.lto)
    take_linker_knobs(&ex, consumed, origin_consumed, &o);
  /* An LTO link that compiles nothing: the knobs reach the plugin in lld
   * through ESCALLOC_OPTIONS (below), and clang, which has no compile to give
   * them to, would call them unused (an error under -Werror). */
  if (o.links && has_input && o.lto && !has_source)
    for (int i = 0; i + 1 < ex.n; i++)
      if (!consumed[i] && !strcmp(ex.v[i], "-mllvm") && !strncmp(ex.v[i + 1], "-escalloc-", 10)) {
        consumed[i] = consumed[i + 1] = true;
        origin_consumed[ex.origin[i]] = origin_consumed[ex.origin[i + 1]] = true;
      }
  if (o.frame_pointers) {
    /* Before the user's flags (a later -fomit-frame-pointer wins).  The pass
     * marks the objects (escalloc_frame_pointers), and the heap profiler then
     * walks the chain instead of opening libgcc's unwinder.  Not in leaf
     * functions: a leaf calls nothing, so it is never on the stack when the
     * allocator unwinds. */
    args[n++] = "-fno-omit-frame-pointer";
    args[n++] = "-momit-leaf-frame-pointer";
  }
  /* Pass each argument of argv on as given, a response file included, unless
   * escc consumed something it holds: then its expansion, less escc's own. */
  for (int i = 0; i < ex.n; i++) {
    int from = ex.origin[i];
    if (!origin_consumed[from]) {
      if (i == 0 || ex.origin[i - 1] != from)
        args[n++] = argv[from];
    } else if (!consumed[i]) {
      args[n++] = ex.v[i];
    }
  }
  if (!has_input)
    o.links = false;
  defer_to_sanitizer(&o, has_input);

  /* The clang escc was configured with was checked by CMake; only another
   * one (ESCC_CC) costs a `clang -dumpversion` run per call. */
  int major = ESCC_LLVM_MAJOR;
  if (strcmp(cc, ESCC_DEFAULT_CC) != 0)
    major = clang_major_version(cc);
  if (major < 0) {
    fprintf(stderr, "%s: error: cannot run '%s' (set ESCC_CC to a clang-%d)\n", progname, cc,
            ESCC_LLVM_MAJOR);
    return 1;
  }
  if (major == 0) {
    fprintf(stderr,
            "%s: error: '%s' is not clang (escalloc is a clang plugin); set ESCC_CC to a "
            "clang-%d\n",
            progname, cc, ESCC_LLVM_MAJOR);
    return 1;
  }
  if (major != ESCC_LLVM_MAJOR) {
    fprintf(stderr,
            "%s: error: '%s' is LLVM %d, but the escalloc plugin was built for LLVM %d; "
            "set ESCC_CC to a clang-%d\n",
            progname, cc, major, ESCC_LLVM_MAJOR, ESCC_LLVM_MAJOR);
    return 1;
  }
  if (!is_file(plugin))
    die("escalloc pass plugin not found: %s", plugin);

  args[n++] = concat("-fpass-plugin=", plugin);
  args[n++] = concat("-fplugin=", plugin);
  args[n++] = concat("-I", incdir);
  if (o.explain) {
    args[n++] = "-Rpass=escalloc";
    args[n++] = "-Rpass-missed=escalloc";
    args[n++] = "-Rpass-analysis=escalloc";
    /* Keep parameter names so summaries read "leaking param: p", as in Go;
     * names do not change the generated code. */
    args[n++] = "-fno-discard-value-names";
    /* One line per decision, as Go's -m prints them. */
    args[n++] = "-fno-caret-diagnostics";
    /* For the compile; at an LTO link the knob goes with the others. */
    if (o.explain_level >= 2 && (has_source || !o.links)) {
      args[n++] = "-mllvm";
      args[n++] = "-escalloc-explain";
    }
  }

  if (o.lto && !o.explain && (!o.links || has_source)) {
    /* An LTO object must carry source locations (clang's location tracking,
     * which remark flags turn on) so that the link-time decisions name their
     * lines, and parameter names (kept in metadata for the link, whose LLVM
     * context drops IR names) for its summaries.  The pass prints nothing at
     * an LTO compile: it decides at link.  A command that compiles and links
     * gives the remark flag to the compile only (-Xclang): at the link clang
     * would turn it into lld's -pass-remarks, and a link without -m prints
     * nothing. */
    if (o.links) {
      args[n++] = "-Xclang";
      args[n++] = "-Rpass=escalloc";
    } else {
      args[n++] = "-Rpass=escalloc";
    }
    args[n++] = "-fno-discard-value-names";
  }
  if (o.links) {
    if (o.lto) {
      /* With LTO the analysis runs at link time, inside lld. */
      args[n++] = "-fuse-ld=lld";
      args[n++] = concat("-Wl,--load-pass-plugin=", plugin);
      if (o.explain) {
        args[n++] = "-Wl,-mllvm,-pass-remarks=escalloc";
        args[n++] = "-Wl,-mllvm,-pass-remarks-missed=escalloc";
        args[n++] = "-Wl,-mllvm,-pass-remarks-analysis=escalloc";
        if (o.explain_level >= 2 && o.nknobs < (int)(sizeof o.knobs / sizeof o.knobs[0]))
          o.knobs[o.nknobs++] = "-escalloc-explain";
      }
      /* lld parses -mllvm before it loads the plugin, so the knobs travel
       * in ESCALLOC_OPTIONS, which the plugin reads when lld loads it. */
      if (o.nknobs) {
        size_t len = 1;
        for (int k = 0; k < o.nknobs; k++)
          len += strlen(o.knobs[k]) + 1;
        char *env = calloc(len, 1);
        if (!env)
          die("%s", "out of memory");
        for (int k = 0; k < o.nknobs; k++) {
          if (k)
            strcat(env, " ");
          strcat(env, o.knobs[k]);
        }
        if (o.malloc_sanitizers) /* last, so that it wins */
          env = concat(env, " -escalloc-lower=false");
        setenv("ESCALLOC_OPTIONS", env, 1);
      }
    }
    if (x_in_force) { /* the runtime is a library, not source in -x's language */
      args[n++] = "-x";
      args[n++] = "none";
    }
    enum runtime_mode rt = o.runtime;
    if (rt == RT_AUTO)
      rt = o.shared ? RT_SHARED : RT_STATIC;
    if (rt == RT_STATIC) {
      if (!is_file(rt_static))
        die("escalloc runtime not found: %s", rt_static);
      /* Whole archive: the drop-in malloc must replace libc's even when no
       * object references an escalloc_* entry point. */
      args[n++] = "-Wl,--whole-archive";
      args[n++] = rt_static;
      args[n++] = "-Wl,--no-whole-archive";
      args[n++] = "-lpthread";
    } else if (rt == RT_SHARED) {
      if (!is_file(rt_shared))
        die("escalloc runtime not found: %s", rt_shared);
      args[n++] = concat("-L", libdir);
      args[n++] = concat("-Wl,-rpath,", libdir);
      args[n++] = "-lescalloc_rt";
    }
  }
  args[n] = NULL;

  if (o.verbose) {
    fprintf(stderr, "%s: running:", progname);
    for (int i = 0; i < n; i++)
      fprintf(stderr, " %s", args[i]);
    fputc('\n', stderr);
  }
  /* The plugin then knows the runtime is linked and does not say what to link. */
  setenv("ESCALLOC_DRIVER", "escc", 1);
  execvp(cc, args);
  fprintf(stderr, "%s: error: cannot run '%s': %s (set ESCC_CC to a clang-%d)\n", progname, cc,
          strerror(errno), ESCC_LLVM_MAJOR);
  return 1;
}
