// Compiles rtlib/sizeclasses.h as C++17, as the pass does; a build failure
// here is the test.
#include "sizeclasses.h"

static_assert(ESCALLOC_NUM_CLASSES == 68, "Go has 68 size classes");

uint32_t escalloc_test_cxx_class(size_t size) { return escalloc_size_class(size, 0); }
