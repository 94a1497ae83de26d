/*
 * profwrite.c — writes a heap profile in pprof's profile.proto format
 * (github.com/google/pprof/proto/profile.proto), gzip-compressed, as Go's
 * runtime/pprof.WriteHeapProfile does: sample types alloc_objects/count,
 * alloc_space/bytes, inuse_objects/count, inuse_space/bytes, period
 * space/bytes = the sampling rate, a "bytes" label with each site's object
 * size, and the process's executable mappings so that `go tool pprof`
 * symbolizes the raw return addresses from the binaries themselves.
 *
 * The protobuf encoding is the handful of wire-format rules the profile needs
 * (varints, length-delimited submessages, packed repeated integers); it is
 * tested against the real reader, `go tool pprof -raw` (test/rtlib/profile*).
 * A generated encoder (protobuf-c) would allocate through malloc and add a
 * library to every program's link line.
 *
 * Everything here runs outside the profile lock and allocates only with
 * esc_prof_sysalloc.  zlib is opened with dlopen on first use, so programs need
 * no -lz; without it (or in a static executable) the profile is written
 * uncompressed, which pprof also reads.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "profile.h"

/* --- A growable byte buffer in mmap'd memory -------------------------------------- */

struct pbuf {
  uint8_t *p;
  size_t len, cap;
  int failed; /* out of memory: the contents are incomplete */
};

static void pb_reserve(struct pbuf *b, size_t more) {
  if (b->failed || b->len + more <= b->cap)
    return;
  size_t ncap = b->cap ? b->cap : 4096;
  while (ncap < b->len + more)
    ncap *= 2;
  uint8_t *n = b->p ? mremap(b->p, b->cap, ncap, MREMAP_MAYMOVE) : esc_prof_sysalloc(ncap);
  if (n == MAP_FAILED || !n) {
    b->failed = 1;
    return;
  }
  b->p = n;
  b->cap = ncap;
}

static void pb_free(struct pbuf *b) {
  esc_prof_sysfree(b->p, b->cap);
  *b = (struct pbuf){0};
}

static void pb_raw(struct pbuf *b, const void *data, size_t n) {
  pb_reserve(b, n);
  if (b->failed)
    return;
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

/* --- protobuf wire format ----------------------------------------------------------- */

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

static size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

static void pb_varint(struct pbuf *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  while (v >= 0x80) {
    tmp[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  tmp[n++] = (uint8_t)v;
  pb_raw(b, tmp, n);
}

static void pb_key(struct pbuf *b, int field, int wire) { pb_varint(b, (uint64_t)field << 3 | wire); }

/* An integer field (uint64 or int64, which share the varint encoding); proto3
 * omits zero values. */
static void pb_int(struct pbuf *b, int field, uint64_t v) {
  if (v) {
    pb_key(b, field, WIRE_VARINT);
    pb_varint(b, v);
  }
}


static void pb_bytes(struct pbuf *b, int field, const void *data, size_t n) {
  pb_key(b, field, WIRE_LEN);
  pb_varint(b, n);
  pb_raw(b, data, n);
}

/* A submessage already encoded in `msg`. */
static void pb_msg(struct pbuf *b, int field, const struct pbuf *msg) {
  if (msg->failed)
    b->failed = 1;
  pb_bytes(b, field, msg->p, msg->len);
}

static void pb_packed(struct pbuf *b, int field, const uint64_t *v, size_t n) {
  if (!n)
    return;
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    len += varint_size(v[i]);
  pb_key(b, field, WIRE_LEN);
  pb_varint(b, len);
  for (size_t i = 0; i < n; i++)
    pb_varint(b, v[i]);
}

/* --- profile.proto field numbers ---------------------------------------------------- */

enum {
  PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
  PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_DROP_FRAMES = 7, PROFILE_TIME_NANOS = 9,
  PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
  VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
  SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
  LABEL_KEY = 1, LABEL_NUM = 3, LABEL_NUM_UNIT = 4,
  MAPPING_ID = 1, MAPPING_START = 2, MAPPING_LIMIT = 3, MAPPING_OFFSET = 4, MAPPING_FILENAME = 5,
  MAPPING_HAS_FUNCTIONS = 7,
  LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
  LINE_FUNCTION_ID = 1, FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3,
};

/* The frames pprof removes from every sample, with everything they call.
 * profile.c cuts each stack at the allocator function that holds the hook;
 * the entry points above it (usually tail calls, without a frame) are named
 * here, with their internal names (esc_*, what the symbolizer reports for the
 * escalloc_* aliases) and C++'s operator new. */
static const char drop_frames[] =
    "(malloc|calloc|realloc|reallocarray|free|aligned_alloc|memalign|posix_memalign|valloc|"
    "pvalloc|escalloc_[a-z_]*|esc_malloc|esc_mallocgc|esc_mallocgc_class|esc_mallocgc_spc|esc_calloc|esc_aligned_alloc|"
    "esc_realloc|operator new.*|_Zn[wa]m.*)";

/* --- String table: interned by linear search (a profile has a few dozen). --- */

#define MAX_STRINGS 4096
struct strtab {
  const char *s[MAX_STRINGS];
  size_t n;
};

static uint64_t intern(struct strtab *t, const char *s) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->s[i], s) == 0)
      return i;
  if (t->n == MAX_STRINGS)
    return 0; /* "" */
  t->s[t->n] = s;
  return t->n++;
}

/* --- Mappings: the executable segments of /proc/self/maps ---------------------------- */

struct mapping {
  uint64_t start, limit, offset;
  char *file; /* points into the maps text */
};

/* Reads /proc/self/maps into *text (NUL-terminated) and parses its executable
 * file-backed lines into *maps; returns the count, or -1. */
static long read_mappings(struct pbuf *text, struct mapping **maps, size_t *maps_bytes) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  for (;;) {
    pb_reserve(text, 8192);
    if (text->failed)
      break;
    ssize_t r = read(fd, text->p + text->len, text->cap - text->len - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    text->len += (size_t)r;
  }
  close(fd);
  if (text->failed)
    return -1;
  text->p[text->len] = 0;
  size_t lines = 1;
  for (size_t i = 0; i < text->len; i++)
    lines += text->p[i] == '\n';
  *maps_bytes = lines * sizeof **maps;
  struct mapping *m = *maps = esc_prof_sysalloc(*maps_bytes);
  if (!m)
    return -1;
  long n = 0;
  for (char *line = (char *)text->p; *line;) {
    char *eol = strchr(line, '\n');
    if (eol)
      *eol = 0;
    /* start-limit perms offset dev inode path */
    char *s = line, *perms, *path;
    uint64_t start = 0, limit = 0, offset = 0;
    while (*s && *s != '-')
      start = start * 16 + (uint64_t)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10), s++;
    for (s += *s == '-'; *s && *s != ' ';)
      limit = limit * 16 + (uint64_t)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10), s++;
    perms = s + (*s == ' ');
    s = strchr(perms, ' ');
    if (s) {
      for (s++; *s && *s != ' '; s++)
        offset = offset * 16 + (uint64_t)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
      path = strchr(s, '/');
      if (path && strlen(perms) > 3 && perms[2] == 'x')
        m[n++] = (struct mapping){start, limit, offset, path};
    }
    if (!eol)
      break;
    line = eol + 1;
  }
  return n;
}

/* --- Locations: one per distinct return address ---------------------------------------- */

struct locmap {
  uint64_t *pc; /* 0 = empty */
  uint64_t *id;
  size_t cap, n;
};

static uint64_t location_id(struct locmap *m, uint64_t pc) {
  size_t i = (size_t)(pc * 0x9E3779B97F4A7C15ull >> 17) & (m->cap - 1);
  while (m->pc[i] && m->pc[i] != pc)
    i = (i + 1) & (m->cap - 1);
  if (!m->pc[i]) {
    m->pc[i] = pc;
    m->id[i] = ++m->n;
  }
  return m->id[i];
}

/* --- gzip through a dlopen'ed zlib ------------------------------------------------------- */

static struct {
  int (*deflateInit2_)(z_streamp, int, int, int, int, int, const char *, int);
  int (*deflate)(z_streamp, int);
  int (*deflateEnd)(z_streamp);
  uLong (*deflateBound)(z_streamp, uLong);
} zlib;
static pthread_once_t zlib_once = PTHREAD_ONCE_INIT;

#pragma weak dlopen /* a static executable links without libc.a's dlopen */
#pragma weak dlsym
static void zlib_open(void) {
  if (!esc_prof_can_dlopen())
    return; /* a static executable: the profile is written uncompressed */
  void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return;
  *(void **)&zlib.deflateInit2_ = dlsym(h, "deflateInit2_");
  *(void **)&zlib.deflate = dlsym(h, "deflate");
  *(void **)&zlib.deflateEnd = dlsym(h, "deflateEnd");
  *(void **)&zlib.deflateBound = dlsym(h, "deflateBound");
  if (!zlib.deflate || !zlib.deflateEnd || !zlib.deflateBound)
    zlib.deflateInit2_ = NULL;
}

/* zlib's memory from mmap, the size kept in a 16-byte header. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
  (void)opaque;
  size_t n = (size_t)items * size + 16;
  size_t *p = esc_prof_sysalloc(n);
  if (!p)
    return Z_NULL;
  *p = n;
  return (char *)p + 16;
}

static void z_free(voidpf opaque, voidpf q) {
  (void)opaque;
  if (q) {
    size_t *p = (size_t *)((char *)q - 16);
    esc_prof_sysfree(p, *p);
  }
}

/* Compresses in into *out; returns 0, or -1 when zlib is unavailable or fails. */
static int gzip(const struct pbuf *in, struct pbuf *out) {
  pthread_once(&zlib_once, zlib_open);
  if (!zlib.deflateInit2_)
    return -1;
  z_stream z = {.zalloc = z_alloc, .zfree = z_free};
  if (zlib.deflateInit2_(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16 /* gzip */, 8,
                         Z_DEFAULT_STRATEGY, ZLIB_VERSION, (int)sizeof z) != Z_OK)
    return -1;
  pb_reserve(out, zlib.deflateBound(&z, in->len) + 64);
  int rc = Z_STREAM_ERROR;
  if (!out->failed) {
    z.next_in = in->p;
    z.avail_in = (uInt)in->len;
    z.next_out = out->p;
    z.avail_out = (uInt)out->cap;
    rc = zlib.deflate(&z, Z_FINISH);
    out->len = z.total_out;
  }
  zlib.deflateEnd(&z);
  return rc == Z_STREAM_END ? 0 : -1;
}

static int write_file(const char *path, const struct pbuf *b) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  for (size_t off = 0; off < b->len;) {
    ssize_t w = write(fd, b->p + off, b->len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      int e = w < 0 ? errno : EIO;
      close(fd);
      errno = e;
      return -1;
    }
    off += (size_t)w;
  }
  return close(fd);
}

/* --- Function names from ELF symbol tables ------------------------------------------------ *
 *
 * pprof symbolizes a mapping from its file's DWARF (`go tool pprof` reads it
 * itself; google/pprof runs llvm-symbolizer or addr2line, which also give
 * inlined frames).  A file without DWARF (a program built without -g,
 * Debian's libc.so.6, whose debug information is a separate package) stays
 * "[prog]" there.  For those files the writer names each location itself
 * from the ELF symbol table (.symtab, else .dynsym), as a Function and a
 * Line, and marks the mapping has_functions so that pprof keeps the names.
 * Files with DWARF are left to pprof: it knows file, line and inlining. */

struct elfsyms {
  const uint8_t *base;
  size_t len;
  const ElfW(Sym) *sym;
  size_t nsym;
  const char *str;
  size_t strsz;
  int state; /* 0 not opened, 1 symbols, -1 none or has DWARF */
};

static void elf_close(struct elfsyms *e) {
  if (e->base)
    munmap((void *)e->base, e->len);
}

static void elf_open(struct elfsyms *e, const char *path) {
  e->state = -1;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  struct stat sb;
  void *p = fstat(fd, &sb) == 0 && sb.st_size >= (off_t)sizeof(ElfW(Ehdr))
                ? mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0)
                : MAP_FAILED;
  close(fd);
  if (p == MAP_FAILED)
    return;
  e->base = p;
  e->len = (size_t)sb.st_size;
  const ElfW(Ehdr) *eh = p;
  if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
      eh->e_shentsize != sizeof(ElfW(Shdr)) || eh->e_shoff > e->len ||
      (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > e->len - eh->e_shoff || eh->e_shstrndx >= eh->e_shnum)
    return;
  const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(e->base + eh->e_shoff);
  const ElfW(Shdr) *names = &sh[eh->e_shstrndx], *symtab = NULL, *dynsym = NULL;
  if (names->sh_offset >= e->len)
    return;
  for (int i = 0; i < eh->e_shnum; i++) {
    if (sh[i].sh_name < names->sh_size && names->sh_offset + sh[i].sh_name < e->len) {
      const char *n = (const char *)e->base + names->sh_offset + sh[i].sh_name;
      size_t room = e->len - (names->sh_offset + sh[i].sh_name);
      if (strncmp(n, ".debug_info", room < 12 ? room : 12) == 0 ||
          strncmp(n, ".zdebug_info", room < 13 ? room : 13) == 0)
        return; /* pprof symbolizes it better, with lines */
    }
    if (sh[i].sh_type == SHT_SYMTAB)
      symtab = &sh[i];
    else if (sh[i].sh_type == SHT_DYNSYM)
      dynsym = &sh[i];
  }
  const ElfW(Shdr) *t = symtab ? symtab : dynsym;
  if (!t || t->sh_link >= eh->e_shnum || t->sh_offset > e->len || t->sh_size > e->len - t->sh_offset)
    return;
  const ElfW(Shdr) *strs = &sh[t->sh_link];
  if (strs->sh_offset > e->len || strs->sh_size > e->len - strs->sh_offset)
    return;
  e->sym = (const ElfW(Sym) *)(e->base + t->sh_offset);
  e->nsym = t->sh_size / sizeof(ElfW(Sym));
  e->str = (const char *)e->base + strs->sh_offset;
  e->strsz = strs->sh_size;
  e->state = 1;
}

/* The file's virtual address of pc, which lies in mapping m (file offset
 * m->offset mapped at m->start): through the PT_LOAD segment that holds that
 * offset.  0 when none does. */
static uint64_t elf_vaddr(const struct elfsyms *e, const struct mapping *m, uint64_t pc) {
  const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)e->base;
  if (eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phoff > e->len ||
      (size_t)eh->e_phnum * sizeof(ElfW(Phdr)) > e->len - eh->e_phoff)
    return 0;
  const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(e->base + eh->e_phoff);
  for (int i = 0; i < eh->e_phnum; i++) {
    uint64_t off = m->offset + (pc - m->start);
    if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) && off >= ph[i].p_offset &&
        off < ph[i].p_offset + ph[i].p_filesz)
      return off - ph[i].p_offset + ph[i].p_vaddr;
  }
  return 0;
}

/* The name of the function that holds vaddr, or NULL. */
static const char *elf_function(const struct elfsyms *e, uint64_t vaddr) {
  const char *best = NULL;
  for (size_t i = 0; i < e->nsym; i++) {
    const ElfW(Sym) *y = &e->sym[i];
    int type = ELF64_ST_TYPE(y->st_info);
    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || y->st_shndx == SHN_UNDEF ||
        vaddr < y->st_value || vaddr - y->st_value >= y->st_size || y->st_name >= e->strsz)
      continue;
    best = e->str + y->st_name;
    if (ELF64_ST_BIND(y->st_info) == STB_GLOBAL)
      break; /* of aliases, the global name */
  }
  return best && memchr(best, 0, e->strsz - (size_t)(best - e->str)) ? best : NULL;
}

/* --- The profile -------------------------------------------------------------------------- */

static void value_type(struct pbuf *out, struct pbuf *tmp, int field, uint64_t type, uint64_t unit) {
  tmp->len = 0;
  pb_int(tmp, VALUETYPE_TYPE, type);
  pb_int(tmp, VALUETYPE_UNIT, unit);
  pb_msg(out, field, tmp);
}

/* The mapping that holds pc, or -1. */
static long mapping_of(const struct mapping *maps, long nmaps, uint64_t pc) {
  for (long m = 0; m < nmaps; m++)
    if (pc >= maps[m].start && pc < maps[m].limit)
      return m;
  return -1;
}

static void encode_profile(struct pbuf *out, struct strtab *st, const struct esc_prof_record *rec,
                           long nrec, int64_t rate, const struct mapping *maps, long nmaps,
                           struct locmap *locs, struct elfsyms *elf, uint64_t *fn) {
  struct pbuf msg = {0}, label = {0};
  uint64_t ids[ESC_PROF_MAX_STACK];

  intern(st, "");
  uint64_t bytes = intern(st, "bytes"), count = intern(st, "count");
  value_type(out, &msg, PROFILE_SAMPLE_TYPE, intern(st, "alloc_objects"), count);
  value_type(out, &msg, PROFILE_SAMPLE_TYPE, intern(st, "alloc_space"), bytes);
  value_type(out, &msg, PROFILE_SAMPLE_TYPE, intern(st, "inuse_objects"), count);
  uint64_t inuse_space = intern(st, "inuse_space");
  value_type(out, &msg, PROFILE_SAMPLE_TYPE, inuse_space, bytes);

  for (long r = 0; r < nrec; r++) {
    const struct esc_prof_bucket *b = rec[r].b;
    int64_t v[4];
    esc_prof_scale(rec[r].allocs, b->size, rate, &v[0], &v[1]);
    esc_prof_scale(rec[r].allocs - rec[r].frees, b->size, rate, &v[2], &v[3]);
    for (uint32_t i = 0; i < b->nstk; i++)
      ids[i] = location_id(locs, b->stk[i]);
    msg.len = 0;
    pb_packed(&msg, SAMPLE_LOCATION_ID, ids, b->nstk);
    pb_packed(&msg, SAMPLE_VALUE, (const uint64_t *)v, 4);
    label.len = 0;
    pb_int(&label, LABEL_KEY, bytes);
    pb_int(&label, LABEL_NUM, b->size);
    pb_int(&label, LABEL_NUM_UNIT, bytes);
    pb_msg(&msg, SAMPLE_LABEL, &label);
    pb_msg(out, PROFILE_SAMPLE, &msg);
  }

  /* Names for the locations of files without DWARF (fn[i]: the string
   * index of location i's function, which also serves as its Function id). */
  for (size_t i = 0; i < locs->cap; i++) {
    long m = locs->pc[i] ? mapping_of(maps, nmaps, locs->pc[i]) : -1;
    if (m < 0 || !elf)
      continue;
    if (!elf[m].state)
      elf_open(&elf[m], maps[m].file);
    uint64_t v = elf[m].state > 0 ? elf_vaddr(&elf[m], &maps[m], locs->pc[i] - 1) : 0;
    const char *name = v ? elf_function(&elf[m], v) : NULL;
    if (name)
      fn[i] = intern(st, name);
  }
  for (size_t i = 0; i < locs->cap; i++) {
    int first = fn[i] != 0;
    for (size_t j = 0; first && j < i; j++)
      first = fn[j] != fn[i];
    if (!first)
      continue;
    msg.len = 0;
    pb_int(&msg, FUNCTION_ID, fn[i]);
    pb_int(&msg, FUNCTION_NAME, fn[i]);
    pb_int(&msg, FUNCTION_SYSTEM_NAME, fn[i]);
    pb_msg(out, PROFILE_FUNCTION, &msg);
  }

  for (long i = 0; i < nmaps; i++) {
    msg.len = 0;
    pb_int(&msg, MAPPING_ID, (uint64_t)i + 1);
    pb_int(&msg, MAPPING_START, maps[i].start);
    pb_int(&msg, MAPPING_LIMIT, maps[i].limit);
    pb_int(&msg, MAPPING_OFFSET, maps[i].offset);
    pb_int(&msg, MAPPING_FILENAME, intern(st, maps[i].file));
    pb_int(&msg, MAPPING_HAS_FUNCTIONS, elf && elf[i].state > 0);
    pb_msg(out, PROFILE_MAPPING, &msg);
  }

  for (size_t i = 0; i < locs->cap; i++) {
    uint64_t pc = locs->pc[i];
    if (!pc)
      continue;
    msg.len = 0;
    pb_int(&msg, LOCATION_ID, locs->id[i]);
    long m = mapping_of(maps, nmaps, pc);
    if (m >= 0)
      pb_int(&msg, LOCATION_MAPPING_ID, (uint64_t)m + 1);
    /* A return address: pc - 1 lies in the call instruction, so it
     * symbolizes to the line of the call. */
    pb_int(&msg, LOCATION_ADDRESS, pc - 1);
    if (fn[i]) {
      label.len = 0;
      pb_int(&label, LINE_FUNCTION_ID, fn[i]);
      pb_msg(&msg, LOCATION_LINE, &label);
    }
    pb_msg(out, PROFILE_LOCATION, &msg);
  }

  pb_int(out, PROFILE_DROP_FRAMES, intern(st, drop_frames));
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  pb_int(out, PROFILE_TIME_NANOS, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
  value_type(out, &msg, PROFILE_PERIOD_TYPE, intern(st, "space"), bytes);
  pb_int(out, PROFILE_PERIOD, (uint64_t)rate);
  pb_int(out, PROFILE_DEFAULT_SAMPLE_TYPE, inuse_space);
  char comment[64] = "escalloc heap profile; stacks unwound by ";
  strcat(comment, esc_prof_unwinder());
  pb_int(out, PROFILE_COMMENT, intern(st, comment));
  for (size_t i = 0; i < st->n; i++)
    pb_bytes(out, PROFILE_STRING_TABLE, st->s[i], strlen(st->s[i]));

  if (msg.failed || label.failed)
    out->failed = 1;
  pb_free(&msg);
  pb_free(&label);
}

int esc_prof_write(const char *path, const struct esc_prof_record *rec, long nrec, int64_t rate) {
  struct pbuf maps_text = {0}, proto = {0}, gz = {0};
  struct mapping *maps = NULL;
  size_t maps_bytes = 0, frames = 0;
  struct strtab *st = esc_prof_sysalloc(sizeof *st);
  struct locmap locs = {0};
  struct elfsyms *elf = NULL;
  uint64_t *fn = NULL;
  int rc = -1, err = ENOMEM;

  long nmaps = read_mappings(&maps_text, &maps, &maps_bytes);
  if (nmaps < 0) {
    err = errno ? errno : ENOMEM;
    goto out;
  }
  for (long r = 0; r < nrec; r++)
    frames += rec[r].b->nstk;
  for (locs.cap = 64; locs.cap < 2 * frames; locs.cap *= 2) {
  }
  locs.pc = esc_prof_sysalloc(locs.cap * sizeof *locs.pc);
  locs.id = esc_prof_sysalloc(locs.cap * sizeof *locs.id);
  fn = esc_prof_sysalloc(locs.cap * sizeof *fn);
  elf = nmaps ? esc_prof_sysalloc((size_t)nmaps * sizeof *elf) : NULL; /* NULL: no names */
  if (!st || !locs.pc || !locs.id || !fn)
    goto out;

  encode_profile(&proto, st, rec, nrec, rate, maps, nmaps, &locs, elf, fn);
  if (proto.failed)
    goto out;
  const struct pbuf *data = gzip(&proto, &gz) == 0 ? &gz : &proto;
  if (gz.failed)
    goto out;
  rc = write_file(path, data);
  err = errno;
out:
  pb_free(&maps_text);
  pb_free(&proto);
  pb_free(&gz);
  esc_prof_sysfree(maps, maps_bytes);
  esc_prof_sysfree(locs.pc, locs.cap * sizeof *locs.pc);
  esc_prof_sysfree(locs.id, locs.cap * sizeof *locs.id);
  esc_prof_sysfree(fn, locs.cap * sizeof *fn);
  for (long m = 0; elf && m < nmaps; m++)
    elf_close(&elf[m]);
  esc_prof_sysfree(elf, nmaps > 0 ? (size_t)nmaps * sizeof *elf : 0);
  esc_prof_sysfree(st, sizeof *st);
  errno = err;
  return rc;
}
