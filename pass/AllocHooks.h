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
// Copies.  Without LTO, cJSON allocates through copies of its hooks:
// `buffer.hooks = global_hooks` on the caller's stack, read through a
// parameter in the recursive parse functions (`input_buffer->hooks
// .allocate`), and `print(item, &global_hooks)`.  A slot is followed to the
// global it copies when its content at that offset provably comes only from
// the global's slot:
// - the global itself (at a constant offset);
// - a parameter of a function with local linkage called only directly,
//   where the slot is such a copy at every call site (a recursive call
//   passing the parameter on adds nothing of its own);
// - a local (alloca) whose every use, followed through constant offsets,
//   phis, selects, returns and the parameters of local functions it is
//   passed to, reads, writes outside the slot, writes zeros (a null hook,
//   as undefined to call as before), or writes the slot from such a slot
//   (a memcpy covering it, a store of a load of it).  Any other use (its
//   address stored, passed to an external function, a variable offset) is
//   a no, and so is a proof over -escalloc-hook-copy-budget uses.
// This keeps the deallocation side sound: a call is a deallocation hook
// only where its pointer comes from a slot that defaults to free, so the
// guard above (skip while it is free, a heap copy otherwise) hands a
// replaced hook only what the user installed as a deallocator.  (Comparing
// both pointers at the allocation instead would not be enough: the free
// slot of a copy could be rewritten between the allocation and the free.)
//
// A hook whose target is known (a `static const` table, a global never
// written in the (LTO) module) needs nothing here: LLVM folds the load and
// the call is a direct call to malloc or free before escalloc runs.
//
// An allocation wrapper with a library fallback is the same speculation with
// the wrapper's own test: gawk's `pma_malloc` (its persistent-memory
// allocator, `#define malloc pma_malloc`) begins
//   if (2 < state.vrb) fprintf(...); if (!init) {...} if (2 == state.init)
//   return malloc(size);
// A direct call of a function W whose body is visible (same translation
// unit, or LTO) is a hook when a path from W's entry reaches `return
// malloc(args)` (`calloc`, `realloc`; `free(arg); return` for a deallocation
// hook) with
// W's own parameters, through instructions without side effects only, and
// every branch on that path tests a function of constants and simple loads
// of globals (no parameter).  That path's predicate is the hook's test: it
// is evaluated at the call, as W would evaluate it on entry (the path
// stores nothing, so the loads read what W's would), and when it holds the
// call is exactly a call of malloc.  Any other shape is not a wrapper.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_ALLOCHOOKS_H
#define ESCALLOC_PASS_ALLOCHOOKS_H

#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/IRBuilder.h"
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
  llvm::Function *Default = nullptr; ///< malloc (calloc) or free
  llvm::LibFunc Func = llvm::NotLibFunc;
  /// A wrapper with a library fallback: the function called, and the edges
  /// of its path from the entry to its call of Default.
  const llvm::Function *Wrapper = nullptr;
  llvm::SmallVector<std::pair<const llvm::BasicBlock *,
                              const llvm::BasicBlock *>,
                    4>
      Path;
};

/// \p CB calls `void *hook(size_t)` loaded from a slot initialised to malloc.
std::optional<AllocHook> allocHook(const llvm::CallBase &CB,
                                   const llvm::TargetLibraryInfo &TLI);

/// \p CB calls a wrapper whose path ends in `return realloc(p, n)` (gawk's
/// pma_realloc); no pointer hook is one.
std::optional<AllocHook> reallocHook(const llvm::CallBase &CB,
                                     const llvm::TargetLibraryInfo &TLI);

/// \p CB calls `void hook(void *)` loaded from a slot initialised to free.
std::optional<AllocHook> freeHook(const llvm::CallBase &CB,
                                  const llvm::TargetLibraryInfo &TLI);

/// Emits at \p B's insertion point (just before \p CB, or before the free
/// guarded with it) whether \p CB, a call through a hook, does exactly what
/// the hook's default function does: the loaded pointer is malloc (free),
/// or the wrapper's path to malloc (free) is taken.  The hook is read from
/// the IR as it is now (an earlier rewrite may have changed a wrapper); a
/// call that is no hook any more gives false, the original call.
llvm::Value *emitIsDefault(llvm::CallBase &CB,
                           const llvm::TargetLibraryInfo &TLI,
                           llvm::IRBuilderBase &B, const llvm::Twine &Name);

/// The negation of emitIsDefault: the call may do something else.
llvm::Value *emitReplaced(llvm::CallBase &CB,
                          const llvm::TargetLibraryInfo &TLI,
                          llvm::IRBuilderBase &B, const llvm::Twine &Name);

/// For remarks: "hook global_hooks.allocate equals malloc", or
/// "pma_malloc forwards to malloc when state.vrb <= 2 && state.init == 2".
std::string hookSpeculation(const AllocHook &H);

/// The hook as C names it: `global_hooks.allocate` (the member from debug
/// info), else `global_hooks` or `global_hooks+8`; a wrapper's name.
std::string hookName(const AllocHook &H);

/// The -escalloc-hooks knob (default true): speculative promotion through
/// allocation hooks.
bool hooksEnabled();

/// The -escalloc-wrapper-hooks knob (default true): allocation wrappers
/// with a library fallback are hooks.
bool wrapperHooksEnabled();

} // namespace escalloc

#endif
