// test_newdelete.cpp — the runtime's operator new and delete (rtlib/newdelete.c):
// every standard form resolves to the runtime (the same object as malloc),
// and each keeps its contract: alignment, unique pointers for 0 bytes,
// std::bad_alloc and the new_handler on failure, nullptr from nothrow.
// Run with the shared runtime LD_PRELOADed and linked statically (ctest).
#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

static int failures;
#define CHECK(c)                                                                                   \
  do {                                                                                             \
    if (!(c)) {                                                                                    \
      std::fprintf(stderr, "test_newdelete: line %d: CHECK(%s) failed\n", __LINE__, #c);           \
      failures++;                                                                                  \
    }                                                                                              \
  } while (0)

static const char *const names[] = {
    "_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t", "_ZnwmSt11align_val_t",
    "_ZnamSt11align_val_t", "_ZnwmSt11align_val_tRKSt9nothrow_t", "_ZnamSt11align_val_tRKSt9nothrow_t",
    "_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm", "_ZdlPvRKSt9nothrow_t", "_ZdaPvRKSt9nothrow_t",
    "_ZdlPvSt11align_val_t", "_ZdaPvSt11align_val_t", "_ZdlPvmSt11align_val_t", "_ZdaPvmSt11align_val_t",
    "_ZdlPvSt11align_val_tRKSt9nothrow_t", "_ZdaPvSt11align_val_tRKSt9nothrow_t"};

// The object (executable or shared library) that defines the process's `name`.
static const void *object_of(const char *name) {
  void *sym = dlsym(RTLD_DEFAULT, name);
  Dl_info info;
  if (!sym || !dladdr(sym, &info))
    return nullptr;
  return info.dli_fbase;
}

static int handler_calls;
static void handler() {
  if (++handler_calls == 2)
    std::set_new_handler(nullptr); // then new throws
}

struct alignas(64) Line {
  char c[64];
};
struct alignas(16384) Big {
  char c[100];
};

int main() {
  // malloc is the runtime's (not libc's), and so is every operator.
  const void *rt = object_of("malloc");
  CHECK(rt && rt != object_of("__libc_start_main"));
  for (const char *n : names) {
    if (object_of(n) != rt) {
      std::fprintf(stderr, "test_newdelete: %s is not the runtime's\n", n);
      failures++;
    }
  }

  // Every form, with the matching delete.
  int *a = new int(7);
  CHECK(*a == 7);
  delete a;
  char *arr = new char[100];
  std::memset(arr, 1, 100);
  delete[] arr;
  ::operator delete(::operator new(48), 48); // sized
  ::operator delete[](::operator new[](48), 48);
  void *z1 = ::operator new(0), *z2 = ::operator new(0);
  CHECK(z1 && z2 && z1 != z2);
  ::operator delete(z1);
  ::operator delete(z2);
  int *nt = new (std::nothrow) int(3);
  CHECK(nt && *nt == 3);
  ::operator delete(nt, std::nothrow);
  int *nta = new (std::nothrow) int[10];
  CHECK(nta != nullptr);
  ::operator delete[](nta, std::nothrow);
  Line *l = new Line;
  CHECK(reinterpret_cast<uintptr_t>(l) % 64 == 0);
  delete l; // sized aligned delete
  Line *la = new Line[3];
  CHECK(reinterpret_cast<uintptr_t>(la) % 64 == 0);
  delete[] la;
  Big *b = new Big;
  CHECK(reinterpret_cast<uintptr_t>(b) % 16384 == 0);
  delete b;
  for (size_t align = 1; align <= 65536; align <<= 1) {
    void *p = ::operator new(24, std::align_val_t(align));
    CHECK(reinterpret_cast<uintptr_t>(p) % align == 0);
    ::operator delete(p, std::align_val_t(align));
    p = ::operator new[](24, std::align_val_t(align), std::nothrow);
    CHECK(p && reinterpret_cast<uintptr_t>(p) % align == 0);
    ::operator delete[](p, 24, std::align_val_t(align));
    p = ::operator new(24, std::align_val_t(align), std::nothrow);
    ::operator delete(p, std::align_val_t(align), std::nothrow);
    p = ::operator new[](24, std::align_val_t(align));
    ::operator delete[](p, std::align_val_t(align), std::nothrow);
  }

  // Failure: a request no allocator can satisfy.
  volatile size_t huge = (size_t)1 << 50;
  bool threw = false;
  try {
    void *p = ::operator new(huge);
    ::operator delete(p);
  } catch (const std::bad_alloc &) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  try {
    void *p = ::operator new[](huge, std::align_val_t(4096));
    ::operator delete[](p);
  } catch (const std::bad_alloc &) {
    threw = true;
  }
  CHECK(threw);
  CHECK(::operator new(huge, std::nothrow) == nullptr);
  CHECK(::operator new[](huge, std::align_val_t(64), std::nothrow) == nullptr);
  // The handler runs before each retry; removed, new throws.
  std::set_new_handler(handler);
  threw = false;
  try {
    void *p = ::operator new(huge);
    ::operator delete(p);
  } catch (const std::bad_alloc &) {
    threw = true;
  }
  CHECK(threw && handler_calls == 2);

  if (failures)
    return 1;
  std::puts("test_newdelete: ok");
  return 0;
}
