//===- AllocHooks.h - Allocation through function pointers -----*- C++ -*-===//
//
// Libraries allocate through hooks the user may replace: cJSON's
// `global_hooks.allocate` / `.deallocate`, a struct of function pointers
// initialised to malloc and free and rewritten by cJSON_InitHooks.  A call
// through such a pointer is recognised here by where the pointer comes from:
// a load, at a constant offset, from a global variable whose initializer
// holds malloc (an allocation hook) or free (a deallocation hook) there.
//
// The analysis treats an allocation hook's call as an allocation site that
// may also return memory of the user's allocator (an external object), and
// a deallocation hook's call as a free that may also let the user's
// function read the object.  The rewrite promotes speculatively, as PGO's
// indirect-call promotion does: the stack only when the loaded pointer is
// malloc at the site; the original call otherwise.  A deallocation hook's
// call never receives a stack slot: when the pointer is one, the call is
// skipped if the hook is free, and otherwise handed a heap copy of the
// object, which the original program would have handed it (the hook may
// have been replaced between the allocation and the free).
//
// A hook whose target is known (a `static const` table, a global never
// written in the (LTO) module) needs nothing here: LLVM folds the load and
// the call is a direct call to malloc or free before escalloc runs.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_ALLOCHOOKS_H
#define ESCALLOC_PASS_ALLOCHOOKS_H

#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/InstrTypes.h"
#include <optional>
#include <string>

namespace llvm {
class GlobalVariable;
}

namespace escalloc {

/// A call through a hook: the global it is loaded from, and the C library
/// function the global holds there by default.
struct AllocHook {
  const llvm::GlobalVariable *Global = nullptr;
  uint64_t Offset = 0;
  llvm::Function *Default = nullptr; ///< malloc or free
  llvm::LibFunc Func = llvm::NotLibFunc;
};

/// \p CB calls `void *hook(size_t)` loaded from a slot initialised to malloc.
std::optional<AllocHook> allocHook(const llvm::CallBase &CB,
                                   const llvm::TargetLibraryInfo &TLI);

/// \p CB calls `void hook(void *)` loaded from a slot initialised to free.
std::optional<AllocHook> freeHook(const llvm::CallBase &CB,
                                  const llvm::TargetLibraryInfo &TLI);

/// The hook as C names it: `global_hooks.allocate` (the member from debug
/// info), else `global_hooks` or `global_hooks+8`.
std::string hookName(const AllocHook &H);

/// The -escalloc-hooks knob (default true): speculative promotion through
/// allocation hooks.
bool hooksEnabled();

} // namespace escalloc

#endif
