// The other translation unit of guard-callback-registry.c: a registry of
// named callbacks, defined there, looked up and called here.
#include <string.h>

struct entry {
  const char *name;
  long (*fn)(int);
};
extern const struct entry registry[];

long dispatch(const char *name, int n) {
  for (const struct entry *e = registry; e->name; e++)
    if (strcmp(e->name, name) == 0)
      return e->fn(n);
  return -1;
}
