//===- StackGuard.h - Run-time stack guard for promoted objects -*- C++ -*-===//
//
// No static budget can be sound for C without the whole program: recursion
// through another file, a callback, a signal handler, or a thread with a
// small stack can run a promoting function deeper than any budget assumed.
// The guard makes the frame's promoted objects conditional: at entry the
// function compares its stack pointer, less the objects' bytes, with bounds
// the runtime records per thread; when they fit, one dynamic stack block
// holds them all, otherwise each site calls the original allocator and each
// removed free becomes a free of a heap copy.  Objects that are only loaded
// and stored at constant offsets need no guard: SROA turns them into
// registers, so they take no stack.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_STACKGUARD_H
#define ESCALLOC_PASS_STACKGUARD_H

#include "llvm/Support/Alignment.h"
#include <cstdint>

#include "llvm/ADT/SmallVector.h"

namespace llvm {
class CallBase;
class Function;
class Module;
class Value;
} // namespace llvm

namespace escalloc {

struct AllocSite;

/// -escalloc-stack-guard (default on).
bool stackGuardEnabled();

/// Whether promoting \p S without a guard is safe: SROA will turn it into
/// registers (every use a load or store at a constant offset, a removed
/// free, or a constant-length memset/memcpy), and it is small.
bool needsNoGuard(const AllocSite &S);

/// The stack block of a guarded frame.
struct GuardedBlock {
  llvm::Value *Ok = nullptr;   ///< i1: the objects are on the stack
  llvm::Value *Base = nullptr; ///< the block (null when !Ok)
};

/// Emits the check and the block of \p Bytes at \p A after the static
/// allocas of \p F's entry block.
GuardedBlock emitStackGuard(llvm::Function &F, uint64_t Bytes, llvm::Align A);

/// Before \p AllocCall, a guarded site's allocation on the heap path: when
/// the thread's bounds are still unset (a thread other than the main one
/// whose stack the runtime has not recorded yet), asks the runtime to record
/// it.  Here, where the program allocates anyway, not in the check at
/// entry, which may run in a signal handler on a path that allocates
/// nothing (finding a thread's stack allocates and takes a lock).
void emitStackRecord(llvm::CallBase *AllocCall);

/// Before each call of makecontext or sigaltstack in \p M, tells the
/// runtime about the stack it gives code (which may lie inside the thread's
/// own stack, a local array: then the guard's bounds must exclude it).
/// Appends the functions changed to \p Changed.
void noteForeignStacks(llvm::Module &M,
                       llvm::SmallVectorImpl<llvm::Function *> &Changed);

} // namespace escalloc

#endif
