#!/usr/bin/env python3
"""test/fuzz/gen.py — random C programs of allocation patterns for escalloc.

Writes two translation units, `a.c` (everything the pass should look at) and
`ext.c` (functions "the module cannot see" without LTO: callback registries,
the other half of a cross-file recursion, a heap kept in another file).

Every program is deterministic and free of undefined behaviour: it prints a
checksum of its data after each top-level step (never an address; pointer bits
are only stored, hidden and rebuilt), its -O0 stack use stays far below 8 MiB,
and each run takes a fraction of a second.  The oracle (fuzz.py) compares
`escc` builds with `clang-19 -O0`.

Patterns (a template each; templates nest through `child`):
  malloc/calloc/realloc/free, constant and run-time sizes, loops, lists, phis
  of heap/stack/static pointers, holders, calls to defined, other-file and libc
  functions, varargs, recursion, function pointers, qsort callbacks, strings;
  and the classes of issue 11:
  1 stack: recursion through another file, a callback registry, a re-entrant
    SA_NODEFER signal handler, a function whose address comes out of inline
    asm, a thread on a 64 KiB stack (4000-byte objects, thousands of levels:
    fine on the heap, an overflow when promoted without a run-time guard);
  2 pointer bits: uintptr_t (plain, xor-hidden), two 32-bit halves, a double,
    byte copies, sprintf/sscanf "%p", a union passed by value in tail position;
  3 va_arg out-parameters, library functions returning their argument
    (ctermid, strcpy, memcpy, ...), frees two levels down;
  4 noinline / frame-address / target("avx2") allocation wrappers, and
    programs that define their own malloc/free;
  and the reach of issue 12: buffers grown by realloc (kept, shrunk, returned,
  grown by a callee, addressed inside), constructors whose result the caller
  frees (NULL or static results, chains, published or kept results), hook
  tables of allocation functions replaced before or between allocation and
  free, frees of phis and selects of several allocations, structs of
  pointers returned in registers, through sret, passed by value, one field
  leaving the function, builders that return the buffer they grew
  (move2heap), objects made under a condition and freed under a second
  test of it, via a phi with NULL or in a destroy function (condfree), and
  constructors over a hook slot or a wrapper hook whose result the caller
  frees while the hooks are swapped at run time (desthook).

Usage: gen.py SEED OUTDIR
"""
import os
import random
import sys

PRELUDE_A = r"""#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef unsigned long u64;
static u64 ck = 1469598103934665603UL;
static void mix(u64 v) { ck = (ck ^ v) * 1099511628211UL; }
static u64 hstr(const char *s) { u64 h = 5381; while (*s) h = h * 33 + (unsigned char)*s++; return h; }
static u64 hbytes(const unsigned char *p, long n) { u64 h = 7; for (long i = 0; i < n; i++) h = h * 131 + p[i]; return h; }
/* Overwrites the stack below the caller: a read of a dead frame sees this. */
__attribute__((noinline)) static void clobber(void) {
  volatile unsigned char buf[16384];
  for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (unsigned char)(i * 7 + 1);
}
/* The other file (ext.c). */
u64 ext_sum(const u64 *p, long n);
void ext_fill(u64 *p, long n, u64 v);
void ext_keep(void *p);
void *ext_take(void);
void ext_free(void *p);
void *ext_id(void *p);
u64 ext_call(u64 (*f)(u64), u64 a);
void ext_out(void **o, size_t n);
u64 ext_vsum(int n, ...);
"""

PRELUDE_EXT = r"""#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef unsigned long u64;
u64 ext_sum(const u64 *p, long n) { u64 s = 0; for (long i = 0; i < n; i++) s = s * 31 + p[i]; return s; }
void ext_fill(u64 *p, long n, u64 v) { for (long i = 0; i < n; i++) p[i] = v + (u64)i * 3; }
static void *kept[256];
static int nkept;
void ext_keep(void *p) { if (nkept == 256) abort(); kept[nkept++] = p; }
void *ext_take(void) { if (nkept == 0) abort(); return kept[--nkept]; }
void ext_free(void *p) { free(p); }
void *ext_id(void *p) { return p; }
u64 ext_call(u64 (*f)(u64), u64 a) { return f(a) + 1; }
void ext_out(void **o, size_t n) { *o = malloc(n); memset(*o, 7, n); }
u64 ext_vsum(int n, ...) {
  va_list ap; va_start(ap, n); u64 s = 0;
  for (int i = 0; i < n; i++) s = s * 17 + va_arg(ap, u64);
  va_end(ap); return s;
}
"""

# A program that defines its own allocator (glibc allows interposition): a
# bump arena, frees ignored.  Its calls must keep their meaning.
OWN_MALLOC = r"""#include <sys/mman.h>
static char *arena_base;
static size_t arena_used;
static int arena_lock;
void *malloc(size_t n) {
  while (__atomic_exchange_n(&arena_lock, 1, __ATOMIC_ACQUIRE)) {}
  if (!arena_base) {
    arena_base = mmap(0, (size_t)1 << 32, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (arena_base == MAP_FAILED) abort();
  }
  size_t *h = (size_t *)(arena_base + arena_used);
  arena_used += 16 + ((n + 15) & ~(size_t)15);
  if (arena_used > ((size_t)1 << 32)) abort();
  __atomic_store_n(&arena_lock, 0, __ATOMIC_RELEASE);
  h[0] = n;
  return h + 2;
}
void free(void *p) { (void)p; }
void *calloc(size_t a, size_t b) { void *p = malloc(a * b); memset(p, 0, a * b); return p; }
void *realloc(void *p, size_t n) {
  void *q = malloc(n);
  if (p) { size_t o = ((size_t *)p)[-2]; memcpy(q, p, o < n ? o : n); }
  return q;
}
"""

ELEMS = [("u64", 8), ("unsigned", 4), ("unsigned short", 2), ("unsigned char", 1)]


class Gen:
    def __init__(self, seed, exclude=()):
        self.r = random.Random(seed)
        self.exclude = set(exclude)
        self.step_kinds = []  # per top-level step: the patterns it uses
        self.seed = seed
        self.n = 0
        self.a = []      # definitions in a.c, in order
        self.ext = []    # definitions in ext.c
        self.once = set()
        self.once_text = set()  # shared definitions emitted once
        self.max_depth = self.r.choice([1, 2, 2, 3])

    # -- helpers ---------------------------------------------------------
    def name(self, base):
        self.n += 1
        return "%s%d" % (base, self.n)

    def k(self):
        return self.r.choice([1, 3, 5, 7, 31, 131, 2654435761, 0x9E3779B97F4A7C15])

    def count(self, lo=1, hi=300):
        """A constant element count or one that depends on the argument (a
        run-time size, the fallback path)."""
        if self.r.random() < 0.7:
            return str(self.r.randint(lo, hi))
        return "(long)(%d + a %% %d)" % (lo, max(1, hi - lo))

    def alloc(self, ty, n):
        c = self.r.random()
        if c < 0.6:
            return "malloc((size_t)(%s) * sizeof(%s))" % (n, ty)
        if c < 0.85:
            return "calloc((size_t)(%s), sizeof(%s))" % (n, ty)
        return "realloc(NULL, (size_t)(%s) * sizeof(%s))" % (n, ty)

    def ni(self):
        return "__attribute__((noinline)) " if self.r.random() < 0.5 else ""

    def child(self, depth):
        """The name of a function `u64 f(u64)`: another template, or a leaf."""
        if depth >= self.max_depth or self.r.random() < 0.3 or not any(map(self.allowed, NESTED)):
            f = self.name("leaf")
            self.a.append("static u64 %s(u64 a) { return a * %dUL + %d; }\n"
                          % (f, self.k() & 0xffff, self.r.randint(0, 99)))
            return f
        return self.template(NESTED, depth + 1)

    def allowed(self, t):
        kind = KIND[t]
        if kind in self.exclude:
            return False
        return any(kind + ":" + v not in self.exclude for v in VARIANTS.get(kind, [""]))

    def template(self, pool, depth):
        t = self.r.choice([t for t in pool if self.allowed(t)])
        if t not in VARIANTS_OF:
            self.step_kinds[-1].append(KIND[t])
        return t(self, depth)

    def variant(self, kind, options):
        v = self.r.choice([o for o in options if kind + ":" + o not in self.exclude])
        self.step_kinds[-1].append(kind + ":" + v)
        return v

    def child_call(self, depth, arg):
        if self.r.random() < 0.5:
            return "%s(%s)" % (self.child(depth), arg)
        return "0"

    # -- output ----------------------------------------------------------
    def program(self):
        steps = []
        nsteps = self.r.randint(3, 9)
        for _ in range(nsteps):
            self.step_kinds.append([])
            heavy_only = not any(map(self.allowed, NESTED))
            if self.r.random() < 0.25 or heavy_only:
                choices = [t for t in HEAVY if (heavy_only or t not in self.once) and self.allowed(t)]
                if choices:
                    t = self.r.choice(choices)
                    self.once.add(t)
                    self.step_kinds[-1].append(KIND[t])
                    steps.append(t(self, 0))
                    continue
            steps.append(self.template(NESTED, 0))
        own = self.r.random() < 0.06 and "ownmalloc" not in self.exclude
        if own:
            for k in self.step_kinds:
                k.append("ownmalloc")
        a0 = self.r.randint(0, 1000)
        main = ["int main(void) {", "  u64 a = %dUL;" % a0]
        for i, s in enumerate(steps):
            main.append("  /* %s */" % " ".join(self.step_kinds[i]))
            main.append("  mix(%s(a + %d)); printf(\"%d %%016lx\\n\", ck); fflush(stdout);" % (s, i, i))
        main.append("  printf(\"ck %016lx\\n\", ck);")
        main.append("  return 0;")
        main.append("}")
        head = "/* escalloc fuzz program, seed %d (test/fuzz/gen.py) */\n" % self.seed
        a_text = head + PRELUDE_A + (OWN_MALLOC if own else "") + "\n" + \
            "\n".join(self.a) + "\n" + "\n".join(main) + "\n"
        ext_text = head + PRELUDE_EXT + "\n".join(self.ext) + "\n"
        return a_text, ext_text, self.step_kinds


# -- templates: each adds definitions and returns `u64 NAME(u64 a)` ----------

def t_local(g, d):
    f = g.name("local")
    ty, _ = g.r.choice(ELEMS)
    n = g.count()
    k = g.k()
    body = ["static u64 %s(u64 a) {" % f,
            "  long n = %s;" % n,
            "  %s *p = %s;" % (ty, g.alloc(ty, "n")),
            "  if (!p) abort();",
            "  for (long i = 0; i < n; i++) p[i] = (%s)(a + (u64)i * %dUL);" % (ty, k)]
    cc = g.child_call(d, "a + n")
    body.append("  p[n / 2] += (%s)%s;" % (ty, cc))
    if ty == "u64" and g.r.random() < 0.4:
        body.append("  u64 s = ext_sum(p, n);")
    else:
        body.append("  u64 s = 0; for (long i = 0; i < n; i++) s = s * 31 + p[i];")
    end = g.r.random()
    if end < 0.6:
        body.append("  free(p);")
    elif end < 0.7:
        body.append("  ext_free(p);")
    elif end < 0.85:
        gk = g.name("gkeep")
        g.a.append("static void *%s;" % gk)
        body.append("  if (s & 1) free(p); else { free(%s); %s = p; }" % (gk, gk))
    # else: leaked
    body += ["  return s;", "}"]
    g.a.append("\n".join(body))
    return f


def t_realloc(g, d):
    f = g.name("grow")
    ty, _ = g.r.choice(ELEMS)
    g.a.append("""static u64 %(f)s(u64 a) {
  long cap = %(c0)d, n = 0;
  %(ty)s *p = malloc((size_t)cap * sizeof *p);
  for (long i = 0; i < %(n)s; i++) {
    if (n == cap) { cap *= 2; %(ty)s *q = realloc(p, (size_t)cap * sizeof *p); if (!q) abort(); p = q; }
    p[n++] = (%(ty)s)(i ^ a);
  }
  u64 s = %(cc)s;
  for (long i = 0; i < n; i++) s = s * 131 + p[i];
  free(p);
  return s;
}""" % dict(f=f, ty=ty, c0=g.r.choice([1, 2, 4, 16]), n=g.count(1, 200), cc=g.child_call(d, "a")))
    return f


def t_list(g, d):
    f = g.name("list")
    s = "LN" + f
    rev = g.r.random() < 0.5
    g.a.append("""struct %(s)s { struct %(s)s *next; u64 v; };
static u64 %(f)s(u64 a) {
  struct %(s)s *h = 0;
  for (long i = 0; i < %(n)s; i++) {
    struct %(s)s *x = %(alloc)s;
    x->v = a + (u64)i * %(k)dUL; x->next = h; h = x;
  }
%(rev)s  u64 s = 0;
  while (h) { struct %(s)s *nx = h->next; s = s * 31 + h->v + %(cc)s; free(h); h = nx; }
  return s;
}""" % dict(f=f, s=s, n=g.count(1, 100), k=g.k() & 0xffff, alloc=g.alloc("struct " + s, "1"),
            cc=g.child_call(d, "h->v") if g.r.random() < 0.3 else "0",
            rev=("  { struct %s *r = 0; while (h) { struct %s *nx = h->next; h->next = r; r = h; h = nx; } h = r; }\n"
                 % (s, s)) if rev else ""))
    return f


def t_phi(g, d):
    f = g.name("phi")
    n1, n2 = g.r.randint(8, 64), g.r.randint(8, 64)
    m = min(n1, n2, 8)
    g.a.append("""static u64 %(f)s(u64 a) {
  u64 local[8]; static u64 stat[8];
  u64 *p; int heap = 1;
  if (a %% 3 == 0) p = malloc(%(n1)d * sizeof(u64));
  else if (a %% 3 == 1) p = calloc(%(n2)d, sizeof(u64));
  else { p = (a & 4) ? local : stat; heap = 0; }
  for (int i = 0; i < %(m)d; i++) p[i] = a * %(k)dUL + (u64)i;
  u64 s = %(cc)s;
  for (int i = 0; i < %(m)d; i++) s = s * 7 + p[i];
  if (heap) free(p);
  return s;
}""" % dict(f=f, n1=n1, n2=n2, m=m, k=g.k() & 0xffff, cc=g.child_call(d, "a")))
    return f


def t_holder(g, d):
    f = g.name("holder")
    s = "H" + f
    onheap = g.r.random() < 0.5
    g.a.append("""struct %(s)s { u64 *p; long n; };
static %(ni)svoid %(f)s_set(struct %(s)s *h, long n, u64 a) {
  h->p = malloc((size_t)n * sizeof *h->p); h->n = n;
  for (long i = 0; i < n; i++) h->p[i] = a + (u64)i;
}
static u64 %(f)s(u64 a) {
%(decl)s
  %(f)s_set(hp, %(n)s, a);
  u64 s = %(cc)s;
  for (long i = 0; i < hp->n; i++) s = s * 31 + hp->p[i];
  free(hp->p);%(fr)s
  return s;
}""" % dict(f=f, s=s, ni=g.ni(), n=g.count(1, 200), cc=g.child_call(d, "a"),
            decl=("  struct %s *hp = malloc(sizeof *hp);" % s) if onheap else
            ("  struct %s h; struct %s *hp = &h;" % (s, s)),
            fr=" free(hp);" if onheap else ""))
    return f


BITS = ["uint", "xor", "halves", "double", "bytes", "printf", "union_tail", "intarg",
        "held_uint", "held_xor", "held_halves", "held_double", "held_intarg"]


def t_bits(g, d):
    """Pointer bits leave through a global in some disguise; a later call
    rebuilds the pointer and reads the object (and frees it)."""
    f = g.name("bits")
    v = g.variant("bits", BITS)
    n = g.r.randint(4, 400)
    gv = "g" + f
    fill = "  u64 *p = malloc(%d * sizeof(u64));\n  for (int i = 0; i < %d; i++) p[i] = a * 3 + (u64)i;\n" % (n, n)
    sumfree = "  u64 s = 0; for (int i = 0; i < %d; i++) s = s * 31 + p[i];\n  free(p);\n  return s;\n" % n
    if v.startswith("held_"):
        # The pointer is stored as a pointer into a holder (a union on the
        # stack or on the heap) and read back out of it as integers: no
        # ptrtoint of p itself.
        g.a.append("union HU%s { u64 *p; uintptr_t u; uint32_t w[2]; double d; };" % f)
        if g.r.random() < 0.5:
            fill += "  union HU%s hh, *h = &hh; h->p = p;\n" % f
            hfree = ""
        else:
            fill += "  union HU%s *h = malloc(sizeof *h); h->p = p;\n" % f
            hfree = " free(h);"
    if v == "held_intarg":
        g.a.append("static __attribute__((noinline)) u64 %(f)s_use(uintptr_t b) {\n"
                   "  clobber();\n  u64 *p = (u64 *)b;\n"
                   "  u64 s = 0; for (int i = 0; i < %(n)d; i++) s = s * 31 + p[i];\n  return s;\n}"
                   % dict(f=f, n=n))
        g.a.append("static u64 %s(u64 a) {\n%s  uintptr_t b = h->u;%s\n  return %s_use(b);\n}" % (f, fill, hfree, f))
        return f
    if v == "union_tail" or v == "intarg":
        # Pointer bits reach a callee as an integer argument from a tail call.
        if v == "union_tail":
            g.a.append("union U%(f)s { u64 *p; long l; };\n"
                       "static __attribute__((noinline)) u64 %(f)s_use(union U%(f)s u) {\n"
                       "  clobber();\n  u64 *p = u.p;\n"
                       "  u64 s = 0; for (int i = 0; i < %(n)d; i++) s = s * 31 + p[i];\n  return s;\n}"
                       % dict(f=f, n=n))
            arg = "union U%s u; u.p = p; return %s_use(u);" % (f, f)
        else:
            g.a.append("static __attribute__((noinline)) u64 %(f)s_use(uintptr_t b) {\n"
                       "  clobber();\n  u64 *p = (u64 *)b;\n"
                       "  u64 s = 0; for (int i = 0; i < %(n)d; i++) s = s * 31 + p[i];\n  return s;\n}"
                       % dict(f=f, n=n))
            arg = "return %s_use((uintptr_t)p);" % f
        g.a.append("static u64 %s(u64 a) {\n%s  %s\n}" % (f, fill, arg))
        return f
    if v == "uint":
        decl, put, get = "static uintptr_t %s;" % gv, "%s = (uintptr_t)p;" % gv, "u64 *p = (u64 *)%s;" % gv
    elif v == "xor":
        decl = "static uintptr_t %s;" % gv
        put = "%s = (uintptr_t)p ^ 0x5a5a5a5a5a5aUL;" % gv
        get = "u64 *p = (u64 *)(%s ^ 0x5a5a5a5a5a5aUL);" % gv
    elif v == "halves":
        decl = "static uint32_t %s_lo, %s_hi;" % (gv, gv)
        put = "%s_lo = (uint32_t)(uintptr_t)p; %s_hi = (uint32_t)((uintptr_t)p >> 32);" % (gv, gv)
        get = "u64 *p = (u64 *)(((uintptr_t)%s_hi << 32) | %s_lo);" % (gv, gv)
    elif v == "double":
        decl = "static double %s;" % gv
        put = "memcpy(&%s, &p, sizeof p);" % gv
        get = "u64 *p; memcpy(&p, &%s, sizeof p);" % gv
    elif v == "bytes":
        decl = "static unsigned char %s[sizeof(void *)];" % gv
        put = "{ unsigned char b[sizeof p]; memcpy(b, &p, sizeof p); for (unsigned i = 0; i < sizeof p; i++) %s[i] = b[i]; }" % gv
        get = "u64 *p; { unsigned char b[sizeof p]; for (unsigned i = 0; i < sizeof p; i++) b[i] = %s[i]; memcpy(&p, b, sizeof p); }" % gv
    elif v == "held_uint":
        decl, put, get = "static uintptr_t %s;" % gv, "%s = h->u;%s" % (gv, hfree), "u64 *p = (u64 *)%s;" % gv
    elif v == "held_xor":
        decl = "static uintptr_t %s;" % gv
        put = "%s = h->u ^ 0x5a5a5a5a5a5aUL;%s" % (gv, hfree)
        get = "u64 *p = (u64 *)(%s ^ 0x5a5a5a5a5a5aUL);" % gv
    elif v == "held_halves":
        decl = "static uint32_t %s_lo, %s_hi;" % (gv, gv)
        put = "%s_lo = h->w[0]; %s_hi = h->w[1];%s" % (gv, gv, hfree)
        get = "u64 *p = (u64 *)(((uintptr_t)%s_hi << 32) | %s_lo);" % (gv, gv)
    elif v == "held_double":
        decl = "static double %s;" % gv
        put = "%s = h->d;%s" % (gv, hfree)
        get = "u64 *p; memcpy(&p, &%s, sizeof p);" % gv
    else:  # printf
        decl = "static char %s[64];" % gv
        fmt = '"%p"' if g.r.random() < 0.7 else '(a > 0xffffffffffUL ? "%lx" : "%p")'
        put = "sprintf(%s, %s, (void *)p);" % (gv, fmt)
        get = 'void *v = 0; if (sscanf(%s, "%%p", &v) != 1) abort(); u64 *p = v;' % gv
    g.a.append(decl)
    g.a.append("static %(ni)svoid %(f)s_put(u64 a) {\n%(fill)s  %(put)s\n}\n"
               "static %(ni2)su64 %(f)s_get(void) {\n  %(get)s\n%(sumfree)s}\n"
               "static u64 %(f)s(u64 a) {\n  %(f)s_put(a);\n  clobber();\n  u64 c = %(cc)s;\n  return %(f)s_get() + c;\n}"
               % dict(f=f, ni=g.ni(), ni2=g.ni(), fill=fill, put=put, get=get, sumfree=sumfree,
                      cc=g.child_call(d, "a")))
    return f


def t_vaout(g, d):
    f = g.name("vaout")
    cnt = g.r.randint(1, 4)
    ln = g.r.randint(16, 200)
    vars_ = ["x%d" % i for i in range(cnt)]
    g.a.append("""static %(ni)svoid %(f)s_make(int n, ...) {
  va_list ap; va_start(ap, n);
  for (int i = 0; i < n; i++) {
    char **out = va_arg(ap, char **);
    *out = malloc(%(ln)d);
    snprintf(*out, %(ln)d, "v%%d-%%d", i, n * %(k)d);
  }
  va_end(ap);
}
static u64 %(f)s(u64 a) {
  char %(decl)s;
  %(f)s_make(%(cnt)d, %(addrs)s);
  clobber();
  u64 s = a + %(cc)s;
%(uses)s
  return s;
}""" % dict(f=f, ni=g.ni(), ln=ln, k=g.r.randint(1, 99), cnt=cnt, cc=g.child_call(d, "a"),
            decl=", ".join("*" + v for v in vars_), addrs=", ".join("&" + v for v in vars_),
            uses="\n".join("  s = s * 31 + hstr(%s); free(%s);" % (v, v) for v in vars_)))
    return f


def t_vasum(g, d):
    f = g.name("vasum")
    ms = [g.r.randint(1, 50) for _ in range(g.r.randint(1, 5))]
    cnt = len(ms)
    g.a.append("""static %(ni)su64 %(f)s_sum(int n, ...) {
  va_list ap; va_start(ap, n); u64 s = 0;
  for (int i = 0; i < n; i++) { u64 *p = va_arg(ap, u64 *); long m = va_arg(ap, long); for (long j = 0; j < m; j++) s = s * 7 + p[j]; }
  va_end(ap); return s;
}
static u64 %(f)s(u64 a) {
%(allocs)s
  u64 s = %(f)s_sum(%(cnt)d, %(args)s) + ext_vsum(3, a, (u64)%(cnt)d, a * 5);
%(frees)s
  return s + %(cc)s;
}""" % dict(f=f, ni=g.ni(), cnt=cnt, cc=g.child_call(d, "a"),
            allocs="\n".join("  u64 *p%d = malloc(%d * sizeof(u64)); for (int i = 0; i < %d; i++) p%d[i] = a + (u64)(i * %d);"
                             % (i, m, m, i, i + 1) for i, m in enumerate(ms)),
            args=", ".join("p%d, (long)%d" % (i, m) for i, m in enumerate(ms)),
            frees="\n".join("  free(p%d);" % i for i in range(cnt))))
    return f


RETARG = ["ctermid", "strcpy", "memcpy", "memset", "strncpy", "memmove", "strcat", "strchr"]


def t_retarg(g, d):
    """A library function returns its argument: the alias must keep the
    object alive (it is read after the function that made it returned)."""
    f = g.name("retarg")
    v = g.variant("retarg", RETARG)
    gv = "g" + f
    ln = 64
    call = {
        "ctermid": "ctermid(b)",
        "strcpy": 'strcpy(b, "abcdefgh")',
        "memcpy": 'memcpy(b, "abcdefgh", 9)',
        "memset": "(b[20] = 0, memset(b, 'q', 20))",
        "strncpy": 'strncpy(b, "xyzzy", %d)' % ln,
        "memmove": 'memmove(b, "uvwxyz", 7)',
        "strcat": '(b[0] = 0, strcat(b, "cat"))',
        "strchr": '(strcpy(b, "abcdef"), strchr(b, \'a\'))',
    }[v]
    g.a.append("static char *%s;" % gv)
    g.a.append("""static %(ni)svoid %(f)s_put(void) {
  char *b = malloc(%(ln)d);
  %(gv)s = %(call)s;
}
static u64 %(f)s(u64 a) {
  %(f)s_put();
  clobber();
  u64 s = hstr(%(gv)s) + a + %(cc)s;
  free(%(gv)s);
  return s;
}""" % dict(f=f, ni=g.ni(), ln=ln, gv=gv, call=call, cc=g.child_call(d, "a")))
    return f


def t_twolevel(g, d):
    f = g.name("two")
    n = g.r.randint(1, 300)
    if g.variant("two", ["fill", "get"]) == "fill":
        g.a.append("""struct I%(f)s { char *data; long n; };
struct O%(f)s { struct I%(f)s *in; };
static %(ni)svoid %(f)s_fill(struct O%(f)s *o, long n) {
  o->in->data = malloc((size_t)n); memset(o->in->data, 'a' + (int)(n %% 26), (size_t)n); o->in->n = n;
}
static u64 %(f)s(u64 a) {
  struct I%(f)s *in = malloc(sizeof *in);
  %(odecl)s
  %(f)s_fill(op, %(n)d);
  clobber();
  u64 s = hbytes((unsigned char *)in->data, in->n) + a + %(cc)s;
  free(in->data); free(in);%(ofree)s
  return s;
}""" % dict(f=f, ni=g.ni(), n=n, cc=g.child_call(d, "a"),
            odecl=("struct O%s *op = malloc(sizeof *op); op->in = in;" % f) if g.r.random() < 0.5 else
            ("struct O%s o; struct O%s *op = &o; o.in = in;" % (f, f)),
            ofree=""))
        if "malloc(sizeof *op)" in g.a[-1]:
            g.a[-1] = g.a[-1].replace("free(in->data); free(in);", "free(in->data); free(in); free(op);")
    else:
        g.a.append("""struct I%(f)s { char *data; long n; };
struct O%(f)s { struct I%(f)s *in; };
static %(ni)schar *%(f)s_get(struct O%(f)s *o) { return o->in->data; }
static u64 %(f)s(u64 a) {
  struct I%(f)s *in = malloc(sizeof *in);
  in->data = malloc(%(n)d); memset(in->data, 'k', %(n)d); in->n = %(n)d;
  struct O%(f)s o; o.in = in;
  char *dp = %(f)s_get(&o);
  u64 s = hbytes((unsigned char *)dp, %(n)d) + a + %(cc)s;
  free(dp); free(in);
  return s;
}""" % dict(f=f, ni=g.ni(), n=n, cc=g.child_call(d, "a")))
    return f


def t_rec(g, d):
    f = g.name("rec")
    g.a.append("""static u64 %(f)s_r(u64 dd, u64 *parent) {
  u64 *p = malloc(%(m)d * sizeof(u64));
  for (int i = 0; i < %(m)d; i++) p[i] = (parent ? parent[i %% %(m)d] : 1) * 3 + dd;
  u64 r = dd ? %(f)s_r(dd - 1, p) : p[0];
  r = r * 5 + p[%(m)d - 1];
  free(p);
  return r;
}
static u64 %(f)s(u64 a) { return %(f)s_r(a %% %(depth)d + 1, NULL) + %(cc)s; }"""
               % dict(f=f, m=g.r.randint(1, 64), depth=g.r.randint(2, 60), cc=g.child_call(d, "a")))
    return f


def t_fptr(g, d):
    f = g.name("fptr")
    kids = [g.child(d) for _ in range(g.r.randint(1, 3))]
    g.a.append("""static u64 (*const %(f)s_tab[])(u64) = { %(kids)s };
static u64 %(f)s(u64 a) {
  u64 s = 0;
  for (u64 i = 0; i < %(n)d; i++) s = s * 3 + %(f)s_tab[(a + i) %% %(m)d](a + i);
  return s + ext_call(%(k0)s, a);
}""" % dict(f=f, kids=", ".join(kids), n=g.r.randint(1, 6), m=len(kids), k0=kids[0]))
    return f


def t_ext(g, d):
    f = g.name("ext")
    n = g.count(1, 200)
    v = g.variant("ext", EXTS)
    use = {
        "keep": "  ext_keep(p); clobber(); u64 *q = ext_take(); s = s * 3 + q[0]; free(q);",
        "out": "  void *o; ext_out(&o, 32); s = s * 3 + ((unsigned char *)o)[5]; free(o); free(p);",
        "id": "  u64 *q = ext_id(p); s = s * 3 + q[n - 1]; free(p);",
        "free": "  ext_free(p);",
    }[v]
    g.a.append("""static u64 %(f)s(u64 a) {
  long n = %(n)s;
  u64 *p = malloc((size_t)n * sizeof *p);
  ext_fill(p, n, a);
  u64 s = ext_sum(p, n) + %(cc)s;
%(use)s
  return s;
}""" % dict(f=f, n=n, use=use, cc=g.child_call(d, "a")))
    return f


def t_qsort(g, d):
    f = g.name("qs")
    g.a.append("""static int %(f)s_cmp(const void *x, const void *y) {
  u64 a = *(const u64 *)x, b = *(const u64 *)y; return (a > b) - (a < b);
}
static u64 %(f)s(u64 a) {
  long n = %(n)s;
  u64 *p = %(alloc)s;
  u64 x = a | 1;
  for (long i = 0; i < n; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; p[i] = x %% 1000; }
  qsort(p, (size_t)n, sizeof *p, %(f)s_cmp);
  u64 s = 0; for (long i = 0; i < n; i++) s = s * 31 + p[i];
  free(p);
  return s;
}""" % dict(f=f, n=g.count(1, 300), alloc=g.alloc("u64", "n")))
    return f


def t_str(g, d):
    f = g.name("str")
    v = g.r.choice(["strdup", "strndup", "snprintf"])
    mk = {
        "strdup": 'char *s1 = strdup("hello, escalloc");',
        "strndup": 'char *s1 = strndup("abcdefghijklmnop", %d);' % g.r.randint(1, 20),
        "snprintf": 'char *s1 = malloc(48); snprintf(s1, 48, "n=%lu", a);',
    }[v]
    g.a.append("""static u64 %(f)s(u64 a) {
  %(mk)s
  size_t l = strlen(s1);
  char *s2 = malloc(l + 8);
  memcpy(s2, s1, l + 1);
  strcat(s2, "!");
  u64 h = hstr(s2) + l + (u64)memcmp(s1, s2, l) + %(cc)s;
  free(s1); free(s2);
  return h;
}""" % dict(f=f, mk=mk, cc=g.child_call(d, "a")))
    return f


def t_wrap(g, d):
    """Allocation wrappers the inliner must respect (issue 11 class 4): a
    noinline one that records its frame address (inlined, its frame is the
    caller's: the comparison prints 0 instead of 1), one compiled for AVX2 with
    256-bit intrinsics (inlined into plain x86-64 code, the backend fails; run
    only where the CPU has AVX2, so the reference takes the same branch)."""
    f = g.name("wrap")
    v = g.variant("wrap", WRAPS)
    n = g.r.randint(1, 500)
    if v == "avx2":
        g.a.append("""static __attribute__((target("avx2")%(ni)s)) u64 *%(f)s_mk(u64 a) {
  u64 *p = malloc(16 * sizeof *p);
  __m256i s = _mm256_set_epi64x((long long)a + 3, (long long)a + 2, (long long)a + 1, (long long)a);
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_si256((__m256i *)(p + 4 * i), _mm256_shuffle_epi8(_mm256_madd_epi16(s, s), s));
    s = _mm256_add_epi64(s, _mm256_set1_epi64x(4));
  }
  return p;
}
static u64 %(f)s(u64 a) {
  u64 s = %(cc)s;
  if (__builtin_cpu_supports("avx2")) {
    u64 *p = %(f)s_mk(a);
    for (int i = 0; i < 16; i++) s = s * 31 + p[i];
    free(p);
  }
  return s;
}""" % dict(f=f, ni=", noinline" if g.r.random() < 0.7 else "", cc=g.child_call(d, "a")))
        return f
    attr = {
        "noinline": "__attribute__((noinline)) ",
        "frame": "__attribute__((noinline)) ",
        "return": "__attribute__((noinline)) ",
        "plain": "",
    }[v]
    extra = {
        "frame": "  g%s_fa = __builtin_frame_address(0);\n" % f,
        "return": "  g%s_fa = __builtin_return_address(0);\n" % f,
    }.get(v, "")
    if extra:
        g.a.append("static void *g%s_fa;" % f)
    g.a.append("""static %(attr)su64 *%(f)s_mk(long n, u64 a) {
%(extra)s  u64 *p = malloc((size_t)n * sizeof *p);
  for (long i = 0; i < n; i++) p[i] = a + (u64)i * 3;
  return p;
}
static u64 %(f)s(u64 a) {
  void *own = __builtin_frame_address(0);
  u64 *p = %(f)s_mk(%(n)d, a);
  u64 s = %(cc)s;
  for (long i = 0; i < %(n)d; i++) s = s * 31 + p[i];
  free(p);
  return s%(fa)s + (own != 0);
}""" % dict(f=f, attr=attr, extra=extra, n=n, cc=g.child_call(d, "a"),
            fa={"frame": " + ((char *)g%s_fa < (char *)own)" % f,
                "return": " + (g%s_fa != 0)" % f}.get(v, "")))
    return f


# -- promotion reach of issue 12: growable buffers, constructors, hooks, phis --

GROWS = ["local", "shrink", "ret", "kept", "callee", "interior", "text"]


def t_growbuf(g, d):
    """A buffer grown by realloc (issue 12's growable buffers): kept in the
    frame, shrunk at the end, returned to the caller (Go's move2heap), kept in
    a global across calls on some paths, grown by a callee in the other file,
    addressed through an interior pointer, or a text built with strcat."""
    f = g.name("gb")
    v = g.variant("growbuf", GROWS)
    c0 = g.r.choice([1, 2, 8, 16, 64])
    n = g.count(1, 400)
    cc = g.child_call(d, "a")
    grow = ("    if (n == cap) { cap = cap * 2 + %d; u64 *q = realloc(p, (size_t)cap * sizeof *p);"
            " if (!q) abort(); p = q; }\n" % g.r.choice([0, 1, 3]))
    if v == "ret":
        g.a.append("""static %(ni)su64 *%(f)s_build(u64 a, long *len) {
  long cap = %(c0)d, n = 0;
  u64 *p = malloc((size_t)cap * sizeof *p);
  for (long i = 0; i < %(n)s; i++) {
%(grow)s    p[n++] = a * 7 + (u64)i;
  }
  *len = n;
  return p;
}
static u64 %(f)s(u64 a) {
  long len;
  u64 *p = %(f)s_build(a, &len);
  clobber();
  u64 s = %(cc)s;
  for (long i = 0; i < len; i++) s = s * 131 + p[i];
  free(p);
  return s;
}""" % dict(f=f, ni=g.ni(), c0=c0, n=n, grow=grow, cc=cc))
        return f
    if v == "callee":
        g.ext.append("""void %(f)s_push(unsigned long **p, long *n, long *cap, unsigned long v) {
  if (*n == *cap) { *cap = *cap * 2 + 1; *p = realloc(*p, (size_t)*cap * sizeof **p); if (!*p) abort(); }
  (*p)[(*n)++] = v;
}""" % dict(f=f))
        g.a.append("void %s_push(u64 **p, long *n, long *cap, u64 v);" % f)
        g.a.append("""static u64 %(f)s(u64 a) {
  long cap = %(c0)d, n = 0;
  u64 *p = malloc((size_t)cap * sizeof *p);
  for (long i = 0; i < %(n)s; i++) %(f)s_push(&p, &n, &cap, a + (u64)i * 5);
  u64 s = %(cc)s;
  for (long i = 0; i < n; i++) s = s * 131 + p[i];
  free(p);
  return s;
}""" % dict(f=f, c0=c0, n=n, cc=cc))
        return f
    if v == "text":
        g.a.append("""static u64 %(f)s(u64 a) {
  size_t cap = %(c0)d, len = 0;
  char *t = malloc(cap);
  t[0] = 0;
  for (long i = 0; i < %(n)s; i++) {
    char w[32];
    int k = snprintf(w, sizeof w, "%%lu,", (unsigned long)(a + (u64)i));
    if (len + (size_t)k + 1 > cap) { while (len + (size_t)k + 1 > cap) cap *= 2; t = realloc(t, cap); if (!t) abort(); }
    strcat(t + len, w); len += (size_t)k;
  }
  u64 s = hstr(t) + len + %(cc)s;
  free(t);
  return s;
}""" % dict(f=f, c0=max(c0, 2), n=n, cc=cc))
        return f
    pre, post, tail = "", "", "  free(p);\n"
    if v == "shrink":
        post = "  { u64 *q = realloc(p, (size_t)(n ? n : 1) * sizeof *p); if (!q) abort(); p = q; }\n  clobber();\n"
    elif v == "interior":
        pre = "    u64 *mid = p + n / 2; *mid += 1;\n"
        post = "  u64 *last = n ? &p[n - 1] : p; clobber(); s += *last;\n"
    elif v == "kept":
        gk = "g" + f
        g.a.append("static u64 *%s;" % gk)
        tail = "  if (s & 1) { free(%s); %s = p; } else free(p);\n" % (gk, gk)
        post = "  if (%s) s += %s[0];\n" % (gk, gk)
    g.a.append("""static u64 %(f)s(u64 a) {
  long cap = %(c0)d, n = 0;
  u64 *p = malloc((size_t)cap * sizeof *p);
  if (!p) abort();
  for (long i = 0; i < %(n)s; i++) {
%(grow)s%(pre)s    p[n++] = (a ^ (u64)i) * 3;
  }
  u64 s = %(cc)s;
  for (long i = 0; i < n; i++) s = s * 131 + p[i];
%(post)s%(tail)s  return s;
}""" % dict(f=f, c0=c0, n=n, grow=grow, pre=pre, post=post, tail=tail, cc=cc))
    return f


M2HS = ["build", "text", "fallback", "cond", "twice", "interior", "self", "global", "inloop"]


def t_move2heap(g, d):
    """A builder returning the buffer it grew (Go's move2heap: built on the
    stack, copied to the heap at the return): grown in a loop with an error
    path that frees it, a text shrunk to fit, a run-time first size, the
    buffer or another object (or NULL) merged at the return; and the shapes
    that must stay on the heap: returned by two returns, an interior pointer
    returned, a pointer into it stored in itself, also kept in a global, a
    buffer allocated in a loop and returned from it.  The caller clobbers the
    stack, reads, sometimes reallocs, then frees the result."""
    f = g.name("m2h")
    v = g.variant("move2heap", M2HS)
    c0 = g.r.choice([1, 2, 4, 8, 16, 64])
    n = g.count(0, 300)
    fail = g.r.choice([0, 0, 7, 13])  # an error path on some arguments
    ni = g.ni()
    grow = ("    if (n == cap) { cap = cap * 2 + %d; u64 *q = realloc(p, (size_t)cap * sizeof *p);"
            " if (!q) { free(p); return NULL; } p = q; }\n" % g.r.choice([0, 1, 3]))
    err = ("    if (%d && (a + (u64)i) %% 97 == %d) { free(p); return NULL; }\n" % (fail, fail)) if fail else ""
    first = "(size_t)cap * sizeof *p"
    if v == "fallback":
        first = "(size_t)(cap = 1 + (long)(a %% %d)) * sizeof *p" % g.r.choice([4, 16, 40])
    if v == "text":
        g.a.append("""static %(ni)su64 *%(f)s_build(u64 a, long *len) {
  size_t cap = %(c0)d, l = 0;
  char *t = malloc(cap);
  if (!t) return NULL;
  t[0] = 0;
  for (long i = 0; i < %(n)s; i++) {
    char w[32];
    int k = snprintf(w, sizeof w, "%%lu;", (unsigned long)(a * 3 + (u64)i));
    if (l + (size_t)k + 1 > cap) {
      while (l + (size_t)k + 1 > cap) cap *= 2;
      char *q = realloc(t, cap);
      if (!q) { free(t); return NULL; }
      t = q;
    }
    memcpy(t + l, w, (size_t)k + 1); l += (size_t)k;
  }
  char *fit = realloc(t, l + 1 + sizeof(u64));
  if (!fit) { free(t); return NULL; }
  *len = -(long)l;
  return (u64 *)fit;
}""" % dict(f=f, ni=ni, c0=max(c0, 2), n=n))
    else:
        body = ["static %su64 *%s_build(u64 a, long *len) {" % (ni, f),
                "  long cap = %d, n = 0;" % c0]
        if v == "inloop":
            body += ["  for (long r = 0; r < 3; r++) {",
                     "    u64 *p = malloc((size_t)cap * sizeof *p);",
                     "    if (!p) return NULL;",
                     "    n = 0;",
                     "    for (long i = 0; i < %s + r; i++) {" % n,
                     "  " + grow.replace("\n", "\n  ").rstrip(" "),
                     "      p[n++] = a * 5 + (u64)i + (u64)r;",
                     "    }",
                     "    if ((a + (u64)r) % 3 == 0) { *len = n; return p; }",
                     "    free(p);",
                     "  }",
                     "  *len = 0;",
                     "  return NULL;",
                     "}"]
            g.a.append("\n".join(body))
        else:
            body += ["  u64 *p = malloc(%s);" % first,
                     "  if (!p) return NULL;",
                     "  for (long i = 0; i < %s; i++) {" % n,
                     grow + err + "    p[n++] = a * 7 + (u64)i;",
                     "  }"]
            if v == "self":
                body += ["  if (n == cap) { u64 *q = realloc(p, (size_t)(cap + 1) * sizeof *p); if (!q) { free(p); return NULL; } p = q; cap++; }",
                         "  p[n] = n ? (u64)(p + n / 2) : 0; /* a pointer into itself, read back by the caller */"]
            if v == "global":
                gk = "g" + f
                g.a.append("static u64 *%s;" % gk)
                body.append("  if (a & 1) %s = p;" % gk)
            body.append("  *len = n;")
            if v == "twice":
                body.append("  if (a & 2) { if (n) p[0] ^= 1; return p; }")
            if v == "cond":
                body += ["  if (a % 5 == 1) { free(p); *len = 0; return NULL; }",
                         "  if (a % 5 == 2) { free(p); u64 *o = calloc(4, sizeof *o); *len = o ? 4 : 0; return o; }"]
            body.append("  return n ? p + 1 : p;" if v == "interior" else "  return p;")
            g.a.append("\n".join(body) + "\n}")
    cc = g.child_call(d, "a")
    tail = "  free(p);\n"
    if g.r.random() < 0.3:
        tail = ("  { u64 *q = realloc(p, 4096); if (!q) abort(); q[511] = s; s += q[511] >> 3; free(q); }\n")
    use = "  for (long i = 0; i < len; i++) s = s * 131 + p[i];\n"
    if v == "text":
        use = "  s += hstr((const char *)p) + (u64)-len;\n"
    if v == "self":
        use = ("  for (long i = 0; i < len; i++) s = s * 131 + p[i];\n"
               "  if (p[len]) s += *(u64 *)p[len] + (u64)((u64 *)p[len] - p);\n")
    if v == "interior":  # the start is one element before what it returned
        tail = tail.replace("(p,", "(base,").replace("free(p)", "free(base)")
        use = "  u64 *base = len ? p - 1 : p;\n" + use.replace("p[i]", "base[i]")
    g.a.append("""static u64 %(f)s(u64 a) {
  long len = 0;
  u64 *p = %(f)s_build(a, &len);
  clobber();
  if (!p) return 11 + a;
  u64 s = %(cc)s;
%(use)s%(tail)s  return s;
}""" % dict(f=f, cc=cc, use=use, tail=tail))
    return f


CTORS = ["plain", "noinline", "null", "static", "chain", "published", "kept", "loop", "twice"]


def t_ctor(g, d):
    """Constructors whose fresh result the caller keeps local and frees
    (issue 12's caller-frame promotion), and the ways that must stop it: a
    NULL or a static object on some path, a chain of two, the object also
    published by the constructor, the result kept by the caller."""
    f = g.name("ctor")
    v = g.variant("ctor", CTORS)
    s = "C" + f
    n = g.r.randint(1, 60)
    ni = "__attribute__((noinline)) " if v in ("noinline", "chain", "published") or g.r.random() < 0.4 else ""
    g.a.append("struct %s { long n; u64 v[%d]; struct %s *self; };" % (s, n, s))
    g.a.append("static struct %s %s_static;" % (s, f))
    g.a.append("static struct %s *%s_last;" % (s, f))
    init = "  o->n = %d; o->self = o; for (int i = 0; i < %d; i++) o->v[i] = a + (u64)i * 9;\n" % (n, n)
    if v == "chain":
        g.a.append("""static %(ni)sstruct %(s)s *%(f)s_inner(u64 a) {
  struct %(s)s *o = malloc(sizeof *o);
  if (!o) abort();
%(init)s  return o;
}
static %(ni)sstruct %(s)s *%(f)s_mk(u64 a) {
  struct %(s)s *o = %(f)s_inner(a);
  o->v[0] ^= 0x55;
  return o;
}""" % dict(ni=ni, s=s, f=f, init=init))
    else:
        early = {"null": "  if (a % 5 == 0) return NULL;\n",
                 "static": "  if (a %% 4 == 1) { struct %s *o = &%s_static;\n%s    return o; }\n" % (s, f, init)}.get(v, "")
        pub = "  %s_last = o;\n" % f if v == "published" else ""
        g.a.append("""static %(ni)sstruct %(s)s *%(f)s_mk(u64 a) {
%(early)s  struct %(s)s *o = malloc(sizeof *o);
  if (!o) abort();
%(init)s%(pub)s  return o;
}""" % dict(ni=ni, s=s, f=f, early=early, init=init, pub=pub))
    use = "  clobber();\n  if (o->self != o) abort();\n  for (long i = 0; i < o->n; i++) s = s * 31 + o->v[i];\n"
    if v == "null":
        body = "  struct %s *o = %s_mk(a);\n  if (!o) return s + 1;\n%s  free(o);\n" % (s, f, use)
    elif v == "static":
        body = "  struct %s *o = %s_mk(a);\n%s  if (o != &%s_static) free(o);\n" % (s, f, use, f)
    elif v == "published":
        body = ("  struct %s *o = %s_mk(a);\n%s  s += %s_last->v[0];\n  free(o);\n  %s_last = NULL;\n"
                % (s, f, use, f, f))
    elif v == "kept":
        body = ("  struct %s *o = %s_mk(a);\n%s  if (s & 1) { free(%s_last); %s_last = o; } else free(o);\n"
                "  if (%s_last) s += %s_last->v[0];\n" % (s, f, use, f, f, f, f))
    elif v == "loop":
        body = ("  for (u64 k = 0; k < %d; k++) {\n    struct %s *o = %s_mk(a + k);\n  %s    free(o);\n  }\n"
                % (g.r.randint(1, 50), s, f, use.replace("\n  ", "\n    ")))
    elif v == "twice":
        body = ("  struct %s *o = %s_mk(a);\n  struct %s *o2 = %s_mk(a + 1);\n%s  s += o2->v[0];\n"
                "  free(o2);\n  free(o);\n" % (s, f, s, f, use))
    else:
        body = "  struct %s *o = %s_mk(a);\n%s  free(o);\n" % (s, f, use)
    g.a.append("""static u64 %(f)s(u64 a) {
  u64 s = %(cc)s;
%(body)s  return s;
}""" % dict(f=f, cc=g.child_call(d, "a"), body=body))
    return f


def add_hook_counts(g, at_top=False):
    """The counting allocator (hook_cnt_alloc/hook_cnt_free) that hook
    patterns swap in at run time, defined once per program: at the top when
    the caller has already emitted code that uses it."""
    if "hook_counts" in g.once_text:
        return
    g.once_text.add("hook_counts")
    text = """static u64 hook_nalloc, hook_nfree;
static __attribute__((noinline)) void *hook_cnt_alloc(size_t n) { hook_nalloc++; return malloc(n); }
static __attribute__((noinline)) void hook_cnt_free(void *p) { if (p) hook_nfree++; free(p); }"""
    if at_top:
        g.a.insert(0, text)
    else:
        g.a.append(text)


HOOKS = ["default", "replaced", "between", "restored", "const"]


def t_hook(g, d):
    """Allocation through function pointers (cJSON's global_hooks): a hook
    table initialised to malloc/free, replaced by a counting allocator before,
    or between the allocation and its free, or a static const table."""
    f = g.name("hook")
    v = g.variant("hook", HOOKS)
    n = g.r.randint(1, 300)
    add_hook_counts(g)
    if v == "const":
        g.a.append("static const struct { void *(*alloc)(size_t); void (*dealloc)(void *); } %s_h = { malloc, free };" % f)
    else:
        g.a.append("static struct { void *(*alloc)(size_t); void (*dealloc)(void *); } %s_h = { malloc, free };" % f)
    swap_before = swap_between = ""
    if v == "replaced":
        swap_before = "  if (a & 1) { %s_h.alloc = hook_cnt_alloc; %s_h.dealloc = hook_cnt_free; }\n" % (f, f)
    elif v == "between":
        swap_between = "  if (a & 2) { %s_h.alloc = hook_cnt_alloc; %s_h.dealloc = hook_cnt_free; }\n" % (f, f)
    elif v == "restored":
        swap_before = "  %s_h.alloc = hook_cnt_alloc; %s_h.dealloc = hook_cnt_free;\n" % (f, f)
        swap_between = "  if (a & 1) { %s_h.alloc = malloc; %s_h.dealloc = free; }\n" % (f, f)
    g.a.append("""static u64 %(f)s(u64 a) {
%(sb)s  unsigned char *p = %(f)s_h.alloc(%(n)d);
  if (!p) abort();
  for (int i = 0; i < %(n)d; i++) p[i] = (unsigned char)(a + (u64)i * 3);
  u64 s = hbytes(p, %(n)d) + %(cc)s;
%(sw)s  clobber();
  s += p[%(n)d / 2];
  %(f)s_h.dealloc(p);
  return s * 1000003 + hook_nalloc * 31 + hook_nfree;
}""" % dict(f=f, sb=swap_before, sw=swap_between, n=n, cc=g.child_call(d, "a")))
    return f


PHIFREES = ["both", "mixed", "select", "swap", "ext"]


def t_phifree(g, d):
    """One free of a phi or select of several allocations (issue 12): every
    incoming pointer fresh in this frame, or mixed with one from the other
    file, or double buffers swapped in a loop."""
    f = g.name("pf")
    v = g.variant("phifree", PHIFREES)
    n1, n2 = g.r.randint(1, 200), g.r.randint(1, 200)
    m = min(n1, n2)
    cc = g.child_call(d, "a")
    if v == "swap":
        g.a.append("""static u64 %(f)s(u64 a) {
  u64 *cur = calloc(%(m)d, sizeof(u64)), *nxt = malloc(%(m)d * sizeof(u64));
  for (u64 it = 0; it < %(it)d; it++) {
    for (int i = 0; i < %(m)d; i++) nxt[i] = cur[(i + 1) %% %(m)d] * 3 + a + it;
    u64 *t = cur; cur = nxt; nxt = t;
  }
  u64 s = %(cc)s;
  for (int i = 0; i < %(m)d; i++) s = s * 31 + cur[i];
  free(cur); free(nxt);
  return s;
}""" % dict(f=f, m=m, it=g.r.randint(0, 9), cc=cc))
        return f
    if v == "select":
        g.a.append("""static u64 %(f)s(u64 a) {
  u64 *p = malloc(%(n1)d * sizeof(u64)), *q = malloc(%(n2)d * sizeof(u64));
  for (int i = 0; i < %(m)d; i++) { p[i] = a + (u64)i; q[i] = a * 3 + (u64)i; }
  u64 *r = (a & 1) ? p : q, *o = (a & 1) ? q : p;
  u64 s = %(cc)s;
  for (int i = 0; i < %(m)d; i++) s = s * 31 + r[i] - o[i];
  free(r);
  clobber();
  s += o[0];
  free(o);
  return s;
}""" % dict(f=f, n1=n1, n2=n2, m=m, cc=cc))
        return f
    other = {"both": "malloc(%d * sizeof(u64))" % n2,
             "mixed": "ext_id(malloc(%d * sizeof(u64)))" % n2,
             "ext": "(ext_keep(malloc(%d * sizeof(u64))), (u64 *)ext_take())" % n2}[v]
    g.a.append("""static u64 %(f)s(u64 a) {
  u64 *p;
  if (a %% 3 == 0) p = malloc(%(n1)d * sizeof(u64));
  else p = %(other)s;
  for (int i = 0; i < %(m)d; i++) p[i] = a * 5 + (u64)i;
  u64 s = %(cc)s;
  clobber();
  for (int i = 0; i < %(m)d; i++) s = s * 31 + p[i];
  free(p);
  return s;
}""" % dict(f=f, n1=n1, other=other, m=m, cc=cc))
    return f


# -- class 1: stack use the heap version does not have (top level, once) -----

def h_rectu(g, d):
    f = g.name("walk")
    depth = g.r.randint(2300, 2600)
    g.a.append("""u64 %(f)s_step(u64 d);
u64 %(f)s_walk(u64 d) {
  unsigned char *b = malloc(4000);
  memset(b, (int)(d & 0xff), 4000);
  u64 r = d ? %(f)s_step(d - 1) : 0;
  r = r * 3 + b[d %% 4000];
  free(b);
  return r;
}
static u64 %(f)s(u64 a) { return %(f)s_walk(%(depth)d + a %% 8); }""" % dict(f=f, depth=depth))
    g.ext.append("u64 %(f)s_walk(u64 d);\nu64 %(f)s_step(u64 d) { return %(f)s_walk(d) + 1; }" % dict(f=f))
    return f


def h_registry(g, d):
    f = g.name("reg")
    g.a.append("""void %(f)s_register(u64 (*cb)(u64));
u64 %(f)s_run(u64 d);
static u64 %(f)s_cb(u64 d) {
  unsigned char *b = malloc(4000);
  memset(b, (int)(d & 0xff), 4000);
  u64 r = d ? %(f)s_run(d - 1) : 0;
  r = r * 3 + b[d %% 4000];
  free(b);
  return r;
}
static u64 %(f)s(u64 a) { %(f)s_register(%(f)s_cb); return %(f)s_run(%(depth)d + a %% 8); }"""
               % dict(f=f, depth=g.r.randint(2300, 2600)))
    g.ext.append("static u64 (*%(f)s_fn)(u64);\nvoid %(f)s_register(u64 (*cb)(u64)) { %(f)s_fn = cb; }\n"
                 "u64 %(f)s_run(u64 d) { return %(f)s_fn(d) + 1; }" % dict(f=f))
    return f


def h_signal(g, d):
    f = g.name("sig")
    g.a.append("""static volatile sig_atomic_t %(f)s_depth;
static u64 %(f)s_acc;
static void %(f)s_work(void);
static void %(f)s_handler(int sig) { (void)sig; %(f)s_work(); }
static void %(f)s_work(void) {
  unsigned char *b = malloc(4000), *c = malloc(4000);
  memset(b, (int)(%(f)s_depth & 0xff), 4000);
  memset(c, 5, 4000);
  if (%(f)s_depth > 0) { %(f)s_depth--; raise(SIGUSR1); }
  %(f)s_acc = %(f)s_acc * 3 + b[7] + c[3999];
  free(b); free(c);
}
static u64 %(f)s(u64 a) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = %(f)s_handler;
  sa.sa_flags = SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, 0)) abort();
  %(f)s_depth = %(depth)d + (int)(a %% 8); %(f)s_acc = 0;
  %(f)s_work();
  signal(SIGUSR1, SIG_DFL);
  return %(f)s_acc;
}""" % dict(f=f, depth=g.r.randint(750, 850)))
    return f


def h_asm(g, d):
    f = g.name("asmf")
    g.a.append("""static u64 %(f)s_f(u64 d);
static u64 %(f)s_via(u64 d) {
  u64 (*fp)(u64);
  __asm__("lea %(f)s_f(%%%%rip), %%0" : "=r"(fp));
  return fp(d);
}
__attribute__((used)) static u64 %(f)s_f(u64 d) {
  unsigned char *b = malloc(4000);
  memset(b, (int)(d & 0xff), 4000);
  u64 r = d ? %(f)s_via(d - 1) : 0;
  r = r * 3 + b[d %% 4000];
  free(b);
  return r;
}
static u64 %(f)s(u64 a) { return %(f)s_via(%(depth)d + a %% 8); }""" % dict(f=f, depth=g.r.randint(2300, 2600)))
    return f


def h_thread(g, d):
    f = g.name("thr")
    lv = g.r.randint(5, 7)
    fns = []
    for i in range(lv):
        nxt = "%s_l%d(d + 1)" % (f, i + 1) if i + 1 < lv else "d"
        fns.append("""static %(ni)su64 %(f)s_l%(i)d(u64 d) {
  unsigned char *b0 = malloc(4000), *b1 = malloc(4000), *b2 = malloc(4000);
  memset(b0, 1, 4000); memset(b1, 2, 4000); memset(b2, (int)d, 4000);
  u64 r = %(nxt)s;
  r = r * 7 + b0[d] + b1[d * 2] + b2[d * 3];
  free(b0); free(b1); free(b2);
  return r;
}""" % dict(f=f, i=i, nxt=nxt, ni=g.ni()))
    g.a.append("static u64 %s_l%d(u64 d);" % (f, lv - 1))
    g.a.append("\n".join(reversed(fns)))
    g.a.append("""static void *%(f)s_start(void *arg) { u64 *r = arg; *r = %(f)s_l0(*r); return NULL; }
static u64 %(f)s(u64 a) {
  pthread_attr_t at; pthread_t t; u64 r = a %% 16;
  pthread_attr_init(&at);
  if (pthread_attr_setstacksize(&at, 65536)) abort();
  if (pthread_create(&t, &at, %(f)s_start, &r)) abort();
  pthread_join(t, NULL);
  pthread_attr_destroy(&at);
  return r;
}""" % dict(f=f))
    return f


# -- aggregates of pointers (issue 12 §2): returned in registers, sret, byval --

AGGRS = ["pair", "swap", "sret", "byval", "mem", "pub"]


def t_aggr(g, d):
    """Structs of pointers returned or passed by value: {p, q} comes back in
    registers (pair, swap: the fields crossed), three pointers through an sret
    slot, four by value (byval), stored and loaded whole (mem), one field
    published in a global (pub).  One field of each struct leaves the function
    that allocated it and is read after clobber(); the others are freed there."""
    f = g.name("agg")
    v = g.variant("aggr", AGGRS)
    na, nb, nc = g.r.randint(1, 300), g.r.randint(1, 300), g.r.randint(1, 300)
    ni = g.ni()
    D = dict(f=f, ni=ni, na=na, nb=nb, nc=nc, cc=g.child_call(d, "a"))
    pre = """  unsigned char *x = malloc(%(na)d); memset(x, 'a' + (int)(a %% 7), %(na)d);
  unsigned char *y = malloc(%(nb)d); memset(y, 'k', %(nb)d);
  unsigned char *z = malloc(%(nc)d); memset(z, 'q', %(nc)d);
""" % D
    if v in ("pair", "swap", "mem", "pub"):
        order = "y, x" if v == "swap" else "x, y"
        # out: the field that leaves; in: the one freed here (sizes follow).
        D.update(order=order, nout=nb if v == "swap" else na, nin=na if v == "swap" else nb)
        g.a.append("""struct P%(f)s { unsigned char *a, *b; };
static unsigned char *g%(f)s;
static %(ni)sstruct P%(f)s %(f)s_mk(unsigned char *x, unsigned char *y) {
  struct P%(f)s r = {%(order)s}; return r;
}""" % D)
        body = {
            "pair": "  struct P%(f)s p = %(f)s_mk(x, y);\n",
            "swap": "  struct P%(f)s p = %(f)s_mk(x, y);\n",
            "mem": "  struct P%(f)s *h = malloc(sizeof *h); *h = %(f)s_mk(x, y);\n"
                   "  struct P%(f)s p; memcpy(&p, h, sizeof p); free(h);\n",
            "pub": "  struct P%(f)s p = %(f)s_mk(x, y);\n  g%(f)s = p.a;\n",
        }[v] % D
        ret = "g%(f)s" % D if v == "pub" else "p.a"
        g.a.append("""static %(ni)sunsigned char *%(f)s_in(u64 a, u64 *s) {
%(pre)s%(body)s  *s += hbytes(p.b, %(nin)d) + hbytes(z, %(nc)d);
  free(p.b); free(z);
  return %(ret)s;
}
static u64 %(f)s(u64 a) {
  u64 s = a + %(cc)s;
  unsigned char *r = %(f)s_in(a, &s);
  clobber();
  s += hbytes(r, %(nout)d);
  free(r);
  return s;
}""" % dict(D, pre=pre, body=body, ret=ret))
        return f
    if v == "sret":
        g.a.append("""struct T%(f)s { unsigned char *a, *b, *c; long n; };
static %(ni)sstruct T%(f)s %(f)s_mk(unsigned char *x, unsigned char *y, unsigned char *z) {
  struct T%(f)s r = {z, x, y, %(na)d}; return r;
}
static %(ni)sunsigned char *%(f)s_in(u64 a, u64 *s) {
%(pre)s  struct T%(f)s t = %(f)s_mk(x, y, z);
  *s += hbytes(t.b, %(na)d) + hbytes(t.c, %(nb)d) + (u64)t.n;
  free(t.b); free(t.c);
  return t.a;
}
static u64 %(f)s(u64 a) {
  u64 s = a + %(cc)s;
  unsigned char *r = %(f)s_in(a, &s);
  clobber();
  s += hbytes(r, %(nc)d);
  free(r);
  return s;
}""" % dict(D, pre=pre))
        return f
    # byval: four pointers by value; the callee returns one of them.
    g.a.append("""struct B%(f)s { unsigned char *a, *b, *c, *d; };
static %(ni)sunsigned char *%(f)s_pick(struct B%(f)s t, u64 *s) {
  *s += hbytes(t.a, %(na)d) + hbytes(t.c, %(nc)d);
  return t.b;
}
static %(ni)sunsigned char *%(f)s_in(u64 a, u64 *s) {
%(pre)s  struct B%(f)s t = {x, y, z, 0};
  unsigned char *r = %(f)s_pick(t, s);
  free(x); free(z);
  return r;
}
static u64 %(f)s(u64 a) {
  u64 s = a + %(cc)s;
  unsigned char *r = %(f)s_in(a, &s);
  clobber();
  s += hbytes(r, %(nb)d);
  free(r);
  return s;
}""" % dict(D, pre=pre))
    return f


# -- a conditional allocation freed under a second test (jq's jv_load_file) --

CONDFREE_ALLOCS = ["malloc", "ctor", "wrap", "hook", "grow"]
CONDFREE_FREES = ["retest", "phi", "destroy"]
CONDFREES = [a + "-" + fr for a in CONDFREE_ALLOCS for fr in CONDFREE_FREES]


def t_condfree(g, d):
    """An allocation made under a condition, used in between (a loop, calls)
    and freed under a second test of the same condition (`retest`), by a free
    of the phi with NULL (`phi`), or in a static destroy function, noinline or
    not, called under the second test or on the phi (`destroy`): jq's
    jv_load_file, `if (!raw) parser = jv_parser_new(0); ... if (!raw)
    jv_parser_free(parser);`, which broke destination passing under -flto.
    The object comes from malloc directly, a noinline constructor returning a
    fresh object, a noinline malloc wrapper, a hook table, or is a buffer
    grown by realloc."""
    f = g.name("cf")
    v = g.variant("condfree", CONDFREES)
    al, fr = v.split("-")
    s = "C" + f
    n = g.r.randint(1, 60)
    m = g.count(1, 200)
    cond = g.r.choice(["(va %% %d) != 0" % g.r.choice([2, 3, 5]), "(va & %d) == 0" % g.r.choice([1, 2, 4]),
                       "va % 7 < 5"])
    ni = "__attribute__((noinline)) " if g.r.random() < 0.8 else ""
    D = dict(f=f, s=s, n=n, m=m, cond=cond, ni=ni, cc=g.child_call(d, "a"))
    g.a.append("struct %(s)s { long n, cap; u64 *v; u64 w[%(n)d]; };" % D)
    if al == "hook":
        g.a.append("static struct { void *(*alloc)(size_t); void (*dealloc)(void *); void *(*grow)(void *, size_t); }"
                   " %(f)s_h = { malloc, free, realloc };" % D)
        A, F = "%s_h.alloc" % f, "%s_h.dealloc" % f
    else:
        A, F = "malloc", "free"
    if al == "wrap":
        g.a.append("""static %(ni)svoid *%(f)s_xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) abort();
  return p;
}""" % D)
        A = "%s_xmalloc" % f
    init = ("  o->n = %(n)d; o->cap = 0; o->v = NULL;\n"
            "  for (int i = 0; i < %(n)d; i++) o->w[i] = a + (u64)i * 9;\n") % D
    if al == "ctor":
        g.a.append("""static %(ni)sstruct %(s)s *%(f)s_new(u64 a) {
  struct %(s)s *o = malloc(sizeof *o);
  if (!o) abort();
%(init)s  return o;
}""" % dict(D, init=init))
        make = "    o = %s_new(a);\n" % f
    elif al == "grow":
        # The object is the buffer o->v grown by realloc; o itself stays in this frame.
        make = ("    o = &%(f)s_box; o->n = 0; o->cap = %(c0)d; o->v = malloc((size_t)o->cap * sizeof *o->v);\n"
                "    if (!o->v) abort();\n"
                "    for (long i = 0; i < %(m)s; i++) {\n"
                "      if (o->n == o->cap) { o->cap = o->cap * 2 + 1; u64 *q = realloc(o->v, (size_t)o->cap * sizeof *q);"
                " if (!q) abort(); o->v = q; }\n"
                "      o->v[o->n++] = a * 3 + (u64)i;\n"
                "    }\n") % dict(D, c0=g.r.choice([1, 2, 8, 16]))
    else:
        make = ("    o = %s(sizeof *o);\n    if (!o) abort();\n" % A) + init.replace("  ", "    ", 1).replace(
            "\n  for", "\n    for")
    read = "o->v[i %% o->n]" if al == "grow" else "o->w[i %% o->n]"
    g.a.append("static %(ni)su64 %(f)s_rd(const struct %(s)s *o, long i) { return %(read)s; }"
               % dict(D, read=read % ()))
    # What is freed: the object, or for `grow` its buffer.
    obj = "o->v" if al == "grow" else "o"
    if al == "grow":
        g.a.append("static struct %s %s_box;" % (s, f))
    if fr == "destroy":
        dni = "__attribute__((noinline)) " if g.r.random() < 0.6 else ""
        g.a.append("""static %(dni)svoid %(f)s_free(struct %(s)s *o) {
  if (!o) return;
  %(F)s(%(obj)s);
}""" % dict(D, dni=dni, F=F, obj=obj))
        kill = g.r.choice(["  if (c) %s_free(o);\n", "  %s_free(o);\n"]) % f
    elif fr == "phi":
        kill = ("  if (o) %s(o->v);\n" % F) if al == "grow" else "  %s(o);\n" % F
    else:
        kill = "  if (c) %s(%s);\n" % (F, obj)
    swap = ""
    if al == "hook" and g.r.random() < 0.3:
        swap = "  if (a & 8) { %s_h.alloc = hook_cnt_alloc; %s_h.dealloc = hook_cnt_free; }\n" % (f, f)
        add_hook_counts(g, at_top=True)
    g.a.append("""static u64 %(f)s(u64 a) {
  volatile u64 va = a; /* a run-time condition, also when a is a constant */
  int c = %(cond)s;
  struct %(s)s *o = NULL;
  u64 s = a;
%(swap)s  if (c) {
%(make)s  }
  s += %(cc)s;
  for (long i = 0; i < %(m)s; i++) {
    if (c) s = s * 131 + %(f)s_rd(o, i);
    else s = s * 31 + (u64)i;
    if (i %% 16 == 0) clobber();
  }
  u64 t = 0;
  ext_fill(&t, 1, s);
  s += ext_sum(&t, 1);
%(kill)s  return s;
}""" % dict(D, swap=swap, make=make, kill=kill))
    return f


# -- destination passing through hooks (a30a993): constructors over a hook --

DESTHOOK_ALLOCS = ["slot", "slot2", "wrap", "wrap2"]
DESTHOOK_FREES = ["hook", "plain", "destroy"]
DESTHOOKS = [a + "-" + fr for a in DESTHOOK_ALLOCS for fr in DESTHOOK_FREES]
DESTHOOK_SHAPES = ["straight", "cond", "loop", "twice"]


def t_desthook(g, d):
    """What destination passing through hooks rewrites (a30a993): a noinline
    constructor allocating through a hook table's slot (cJSON's
    global_hooks.allocate, `slot`) or through a wrapper hook (gawk's
    pma_malloc, forwarding to malloc or calloc while a global says so, else
    a bump arena, `wrap`), directly or through a second function (`*2`: an
    inner constructor or an aborting xmalloc / emalloc); the caller keeps the
    result local and frees it through the deallocation hook (`hook`), by
    plain free (`plain`: free, or free when the hook is free's), or in a
    static destroy function (`destroy`).  Around it the user swaps the hooks
    at run time, under run-time conditions: before the call (between calls
    in a loop) and between the allocation and its free; the call is made
    straight, under a condition with a NULL phi at the free, in a loop, or
    twice with both objects live.  The arena is only left (mode 2) while no
    arena object of the instance is live, as gawk never does it."""
    f = g.name("dh")
    v = g.variant("desthook", DESTHOOKS)
    al, fr = v.split("-")
    wrap = al.startswith("wrap")
    chain = al.endswith("2")
    shape = g.r.choice(DESTHOOK_SHAPES)
    s = "C" + f
    ni = "__attribute__((noinline)) " if g.r.random() < 0.85 else ""
    # A constant size the wrapper's only caller passes becomes its own
    # (IPSCCP), and then it is no wrapper hook: mostly run-time sizes there,
    # from `va` (`a` is a constant once the step is inlined into main).
    m = g.count(1, 120) if not wrap or g.r.random() < 0.3 else "(long)(1 + a %% %d)" % g.r.randint(2, 120)
    m = m.replace("a %", "va %")
    D = dict(f=f, s=s, ni=ni, shape=shape, cc=g.child_call(d, "a"),
             m=m, null="  if (a %% %d == 0) return NULL;\n" % g.r.choice([3, 5, 7])
             if g.r.random() < 0.3 else "")
    g.a.append("/* desthook %s %s */" % (v, shape))
    g.a.append("struct %(s)s { long n; u64 tag; u64 v[]; };" % D)
    use_calloc = wrap and g.r.random() < 0.3
    if wrap:
        g.a.append("""static struct { int init; size_t used; } %(f)s_st = { 2, 0 };
static u64 %(f)s_na, %(f)s_nf;
static _Alignas(16) unsigned char %(f)s_arena[1 << 16];
static %(ni)svoid *%(f)s_pm(%(params)s) {
  if (2 == %(f)s_st.init)
    return %(fwd)s;%(mul)s
  n = (n + 15) & ~(size_t)15;
  if (%(f)s_st.used + n > sizeof %(f)s_arena) %(f)s_st.used = 0;
  void *r = %(f)s_arena + %(f)s_st.used;
  %(f)s_st.used += n;
  %(f)s_na++;%(zero)s
  return r;
}
static %(ni)svoid %(f)s_pf(void *p) {
  if (2 == %(f)s_st.init) {
    free(p);
    return;
  }
  if (!p) return;
  if ((uintptr_t)p - (uintptr_t)%(f)s_arena >= sizeof %(f)s_arena) { free(p); return; } /* malloc's, from before */
  %(f)s_nf++;
}""" % dict(D, fwd="calloc(k, n)" if use_calloc else "malloc(n)",
            params="size_t k, size_t n" if use_calloc else "size_t n",
            mul="\n  n *= k;" if use_calloc else "",
            zero="\n  memset(r, 0, n);" if use_calloc else ""))
        A, F = "%s_pm" % f, "%s_pf" % f
        to_user, to_default = "%s_st.init = 1;" % f, "%s_st.init = 2;" % f
        counts = "%s_na * 31 + %s_nf" % (f, f)
        plain = g.r.choice(["if (2 == %s_st.init) free(%%s); else %s_pf(%%s);" % (f, f)])
    else:
        add_hook_counts(g, at_top=True)
        g.a.append("static struct { void *(*alloc)(size_t); void (*dealloc)(void *); } %(f)s_h = { malloc, free };" % D)
        A, F = "%s_h.alloc" % f, "%s_h.dealloc" % f
        to_user = "%s_h.alloc = hook_cnt_alloc; %s_h.dealloc = hook_cnt_free;" % (f, f)
        to_default = "%s_h.alloc = malloc; %s_h.dealloc = free;" % (f, f)
        counts = "hook_nalloc * 31 + hook_nfree"
        # The counting allocator is malloc's: a plain free is right either way.
        plain = g.r.choice(["free(%s);", "if (%s_h.dealloc == free) free(%%s); else %s_h.dealloc(%%s);" % (f, f)])
    size = "sizeof(struct %s) + (size_t)m * sizeof(u64)" % s
    init = "  o->n = m; o->tag = a ^ 0x5a;\n  for (long i = 0; i < m; i++) o->v[i] = a + (u64)i * 9;\n"
    checked = g.r.random() < 0.5  # abort on NULL, or cJSON's `if (o) {...}`
    if chain and g.r.random() < 0.5:
        # ctor -> xmalloc (emalloc) -> hook: the allocating function is itself a destination callee.
        g.a.append("""static %(ni)svoid *%(f)s_x(size_t n) {
  void *p = %(A)s(%(one)sn);
  if (!p) abort();
  return p;
}""" % dict(D, A=A, one="1, " if use_calloc else ""))
        A, checked = "%s_x" % f, True
    mk = "%s_in" % f if chain and A != "%s_x" % f else "%s_new" % f
    if use_calloc and A != "%s_x" % f:  # calloc's (k, n), both the wrapper's own parameters
        size = "1, " + size
    body = ("  struct %s *o = %s(%s);\n  if (!o) abort();\n%s" % (s, A, size, init) if checked else
            "  struct %s *o = %s(%s);\n  if (o) {\n%s  }\n" % (s, A, size, init.replace("  ", "    ")))
    # An error path on which the constructor the caller calls frees the
    # object itself through the deallocation hook (cJSON's parse errors):
    # the user's deallocator must never see a destination.
    # A call counter decides (the argument `a` is a constant in most calls,
    # and IPSCCP would fold the path away); the failing check installs the
    # user's hooks, between the allocation and the constructor's own free.
    err = ""
    if g.r.random() < 0.3:
        g.a.append("""static unsigned %(f)s_calls;
static __attribute__((noinline)) int %(f)s_bad(void) {
  if (++%(f)s_calls %% %(k)d != %(r)d) return 0;
  %(tu)s
  return 1;
}""" % dict(f=f, k=g.r.choice([2, 3, 5]), r=g.r.randint(0, 1), tu=to_user))
        err = "  if (o && %s_bad()) { o->tag = 0; %s(o); return NULL; }\n" % (f, F)
    D["err"] = err
    if chain and mk != "%s_new" % f:
        err = ""
    g.a.append("""static %(ni)sstruct %(s)s *%(mk)s(u64 a, long m) {
%(null)s%(body)s%(err)s  return o;
}""" % dict(D, mk=mk, body=body, err=err))
    if mk != "%s_new" % f:
        g.a.append("""static %(ni)sstruct %(s)s *%(f)s_new(u64 a, long m) {
  struct %(s)s *o = %(f)s_in(a, m);
  if (o) o->tag ^= 0x55;
%(err)s  return o;
}""" % D)
    if fr == "destroy":
        dni = "__attribute__((noinline)) " if g.r.random() < 0.6 else ""
        g.a.append("""static %(dni)svoid %(f)s_del(struct %(s)s *o) {
  if (!o) return;
  o->tag = 0;
  %(F)s(o);
}""" % dict(D, dni=dni, F=F))
        kill = "%s_del(%%s);" % f
    elif fr == "plain":
        kill = plain
    else:
        kill = "%s(%%s);" % F

    def K(x):
        return kill.replace("%s", x)

    def cond(var):
        return g.r.choice(["(%s %% %d) != 0" % (var, g.r.choice([2, 3, 5])), "(%s & %d) == 0" % (var, g.r.choice([1, 2, 4])),
                           "%s %% 7 < 4" % var])

    def swap(where, var, ind="  "):
        """A swap under a run-time condition, or nothing; `between` never
        leaves the arena (an arena object may be live)."""
        if g.r.random() < 0.35:
            return ""
        if (where == "between" and wrap) or g.r.random() < 0.5:
            return "%sif (%s) { %s }\n" % (ind, cond(var), to_user)
        return "%sif (%s) { %s } else { %s }\n" % (ind, cond(var), to_default, to_user)
    use = ("    s = s * 131 + o->tag;\n    for (long i = 0; i < o->n; i++) s = s * 31 + o->v[i];\n")
    D.update(before=swap("before", "va"), between=swap("between", "(va >> 3)"),
             K=K("o"), use=use)
    if shape == "straight":
        main = """%(before)s  struct %(s)s *o = %(f)s_new(a, %(m)s);
  if (o) {
%(use)s  }
%(between)s  clobber();
  if (o) s += o->v[o->n / 2];
  %(K)s
""" % D
    elif shape == "cond":
        D["c"] = cond("va")
        D["retest"] = g.r.choice(["", "if (c) "])
        main = """  int c = %(c)s;
  struct %(s)s *o = NULL;
%(before)s  if (c) o = %(f)s_new(a, %(m)s);
  for (long i = 0; i < 40; i++) {
    if (o) s = s * 131 + o->v[i %% o->n];
    else s = s * 31 + (u64)i;
    if (i %% 16 == 0) clobber();
  }
%(between)s  %(retest)s%(K)s
""" % D
    elif shape == "loop":
        D["it"] = g.r.randint(1, 24)
        D["before"] = swap("before", "(va + k)", "    ")
        D["between"] = swap("between", "((va >> 2) + k)", "    ")
        D["use"] = use.replace("\n    ", "\n      ").replace("    s = s", "      s = s", 1)
        main = """  for (u64 k = 0; k < %(it)d; k++) {
%(before)s    struct %(s)s *o = %(f)s_new(a + k, %(m)s);
    if (o) {
%(use)s    }
%(between)s    if (k %% 8 == 0) clobber();
    %(K)s
  }
""" % D
    else:
        D["K2"] = K("o2")
        main = """%(before)s  struct %(s)s *o = %(f)s_new(a, %(m)s);
%(between)s  struct %(s)s *o2 = %(f)s_new(a + 1, %(m)s);
  if (o) {
%(use)s  }
  clobber();
  if (o2) s += o2->v[0] + o2->tag;
  %(K2)s
  %(K)s
""" % D
    restore = "  if (va %% 3 == 0) { %s }\n" % to_default if g.r.random() < 0.5 else ""
    # A second call of the calloc wrapper with other arguments: with one call
    # site its constant argument becomes its own (IPSCCP), and calloc(1, n)
    # is no call with the wrapper's parameters.  Made and freed while no
    # arena object of this instance is live.
    scratch = ("  unsigned char *scr = %s_pm(3, 16);\n  if (!scr) abort();\n  s += scr[5];\n  %s_pf(scr);\n"
               % (f, f)) if use_calloc else ""
    g.a.append("""static u64 %(f)s(u64 a) {
  volatile u64 va = a; /* run-time conditions, also when a is a constant */
  u64 s = %(cc)s;
%(scratch)s%(main)s%(restore)s  return s * 1000003 + %(counts)s;
}""" % dict(D, main=main, restore=restore, counts=counts, scratch=scratch))
    return f


NESTED = [t_local, t_local, t_realloc, t_list, t_phi, t_holder, t_bits, t_bits, t_vaout, t_vasum,
          t_retarg, t_twolevel, t_rec, t_fptr, t_ext, t_qsort, t_str, t_wrap,
          t_growbuf, t_ctor, t_hook, t_phifree, t_aggr, t_move2heap, t_condfree, t_desthook]
HEAVY = [h_rectu, h_registry, h_signal, h_asm, h_thread]
WRAPS = ["noinline", "frame", "return", "avx2", "plain"]
EXTS = ["keep", "out", "id", "free"]
# Pattern names, as --exclude and the step comments in main() spell them.
KIND = {t_local: "local", t_realloc: "realloc", t_list: "list", t_phi: "phi", t_holder: "holder",
        t_bits: "bits", t_vaout: "vaout", t_vasum: "vasum", t_retarg: "retarg", t_twolevel: "two",
        t_rec: "rec", t_fptr: "fptr", t_ext: "ext", t_qsort: "qsort", t_str: "str", t_wrap: "wrap",
        h_rectu: "xtu-recursion", h_registry: "registry", h_signal: "signal", h_asm: "asm-address",
        h_thread: "small-thread", t_growbuf: "growbuf", t_ctor: "ctor", t_hook: "hook",
        t_phifree: "phifree", t_aggr: "aggr", t_move2heap: "move2heap",
        t_condfree: "condfree", t_desthook: "desthook"}
VARIANTS = {"bits": BITS, "retarg": RETARG, "wrap": WRAPS, "ext": EXTS, "two": ["fill", "get"],
            "growbuf": GROWS, "ctor": CTORS, "hook": HOOKS, "phifree": PHIFREES,
            "aggr": AGGRS, "move2heap": M2HS, "condfree": CONDFREES,
            "desthook": DESTHOOKS}
VARIANTS_OF = {t for t in KIND if KIND[t] in VARIANTS}
ALL_PATTERNS = sorted([k for k in KIND.values() if k not in VARIANTS] +
                      [k + ":" + v for k in VARIANTS for v in VARIANTS[k]] + ["ownmalloc"])


def only(patterns):
    """The exclusion list that leaves just `patterns` (kinds or kind:variant)."""
    keep = set(patterns)
    return [p for p in ALL_PATTERNS if p not in keep and p.split(":")[0] not in keep]


def generate(seed, exclude=()):
    """(a.c text, ext.c text, per step the list of patterns it uses)."""
    unknown = set(exclude) - set(ALL_PATTERNS) - set(VARIANTS)
    if unknown:
        raise ValueError("unknown patterns: %s (known: %s)" % (" ".join(sorted(unknown)), " ".join(ALL_PATTERNS)))
    return Gen(seed, exclude).program()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    seed, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    a, e, _ = generate(seed)
    with open(os.path.join(out, "a.c"), "w") as fh:
        fh.write(a)
    with open(os.path.join(out, "ext.c"), "w") as fh:
        fh.write(e)


if __name__ == "__main__":
    main()
