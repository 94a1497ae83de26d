//===- DestPassing.h - Caller-frame promotion (destination passing) -*- C++ -*-===//
//
// A function whose result is a fresh allocation that escapes only by being
// returned (a constructor, an xmalloc) lets the object live in its caller's
// frame without being inlined: where a caller keeps the result local, the
// call becomes a call to a clone, `F.escalloc.into(ptr dst, i64 cap, ...)`,
// which builds the object in the caller's slot `dst` when `dst` is not null
// and the size fits `cap`, and calls the original allocator otherwise.  The
// clone keeps every other side effect and initialisation of the callee, and
// returns what the callee would have returned (the slot, NULL on an error
// path, a heap object); each of its frees of the object and each of the
// caller's becomes `if (p != dst) free(p)`.  Chains (`a` returns what `b`
// allocated) pass the destination down: `a`'s clone calls `b`'s.
//
// Through a hook (AllocHooks.h: cJSON's global_hooks.allocate, gawk's
// pma_malloc): the clone uses dst only when, in addition, the hook does
// what malloc does at the call (the pointer equals malloc, the wrapper's
// path to malloc is taken: the test the in-frame promotion uses), and
// calls the hook otherwise.  A caller reads the result as the hook's, which
// may be the user's allocator's memory; its frees through a deallocation
// hook are guarded as in-frame ones (skipped for the slot while the hook is
// free, else handed a heap copy).  A callee that frees the object through
// a deallocation hook itself keeps it on the heap.
//
// The analysis (EscapeAnalysis.cpp) finds the returned site and decides the
// caller's object by the caller's frame, path, loop and recursion rules; this
// file checks what the callee's side must satisfy, sizes the caller's slot,
// and rewrites both sides.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_DESTPASSING_H
#define ESCALLOC_PASS_DESTPASSING_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/CycleInfo.h"
#include "llvm/IR/PassManager.h"
#include <cstdint>

namespace llvm {
class CallBase;
class Function;
class LazyValueInfo;
class Module;
class TargetLibraryInfo;
class Value;
} // namespace llvm

namespace escalloc {

struct AllocSite;
struct FunctionEscapeInfo;
class EscapeInfo;

/// -escalloc-dest-depth: the longest chain of functions a destination is
/// passed through (1: the function that calls malloc; 0 disables).
unsigned destPassingDepth();

/// Fills \p FI's destination fields (DestSite, DestDepth, DestConstSize,
/// DestSizeArg, DestFrees) when \p F's returned fresh object \p Site, freed
/// in \p F only by \p Frees, can be built in a caller's slot: a malloc or
/// calloc call, or a call of \p SiteCallee (a function that itself takes a
/// destination, within the depth), executed at most once per call of \p F
/// (in no cycle of \p F).  Otherwise FI.DestWhy says why not.
void describeDestination(llvm::Function &F, llvm::CallBase &Site,
                         llvm::ArrayRef<llvm::CallBase *> Frees,
                         const FunctionEscapeInfo *SiteCallee,
                         const llvm::TargetLibraryInfo &TLI,
                         llvm::CycleInfo &CI, FunctionEscapeInfo &FI);

/// The caller's slot for the call S.Call of \p Callee: S.Size (the callee's
/// constant size, a bound of the size argument the caller passes, or the
/// run-time fallback's buffer: the clone checks the size at run time either
/// way).  False, with S.Why, when none fits \p MaxStack.
bool destSlotSize(AllocSite &S, const FunctionEscapeInfo &Callee,
                  llvm::LazyValueInfo &LVI, uint64_t MaxStack,
                  uint64_t FallbackSize);

/// The clones made for one run of the rewrite.
class DestClones {
public:
  DestClones(llvm::Module &M, const EscapeInfo &Info,
             llvm::FunctionAnalysisManager &FAM)
      : M(M), Info(Info), FAM(FAM) {}

  /// Rewrites the caller's site \p S: the call passes \p Slot (or null when
  /// \p Ok, the stack guard's answer, is false) to the callee's clone, and
  /// \p Frees (its frees that free it alone) are guarded.  Returns the
  /// value a free compares with: \p Slot, which dominates every free (the
  /// call need not).
  llvm::Value *promote(const AllocSite &S, llvm::Value *Slot, llvm::Value *Ok,
                       llvm::ArrayRef<llvm::CallBase *> Frees);

  /// Gives every clone asked for its body (a copy of its function as it is
  /// now, with the site writing into the destination); returns them.
  llvm::SmallVector<llvm::Function *, 4> finish();

private:
  llvm::Module &M;
  const EscapeInfo &Info;
  llvm::FunctionAnalysisManager &FAM;
  llvm::DenseMap<const llvm::Function *, llvm::Function *> Clones;
  llvm::SmallVector<const llvm::Function *, 4> Pending;

  llvm::Function *cloneOf(const llvm::Function &F);
  void fillClone(const llvm::Function &F, llvm::Function &C);
};

} // namespace escalloc

#endif
