//===- LowerFlags.h - What an allocation may promise the runtime --*- C++ -*-===//
//
// The facts the lowering passes to the runtime as escalloc flags (abi.h):
// NOSCAN (no pointer value can ever be stored into the object) and ALIGN8 (no
// access to the object needs more than 8-byte alignment).  Both are promises
// a collector or the allocator may rely on, so both are proven from a walk
// over every use of the object; whatever the walk cannot see makes them false.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_LOWERFLAGS_H
#define ESCALLOC_PASS_LOWERFLAGS_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include <cstdint>
#include <optional>
#include <string>

namespace llvm {
class CallBase;
class Function;
} // namespace llvm

namespace escalloc {

/// The result of inferObjectFacts for one allocation site.
struct ObjectFacts {
  /// No pointer value can ever be stored into the object (Go's noscan).
  bool NoScan = false;
  /// No access to the object needs more than 8-byte alignment.
  bool Align8 = false;
  /// The largest alignment a visible access needs (UnknownAlign when some
  /// access is not visible or needs more than 8).  A NOSCAN object under 16
  /// bytes may be packed into a tiny block with only its size's natural
  /// alignment, so the lowering checks NOSCAN against it.
  uint64_t MaxAlign = 1;
  /// Why NoScan / Align8 could not be proven (for the remarks), empty if
  /// proven.
  std::string NoScanBlocker;
  std::string Align8Blocker;
};

/// ObjectFacts::MaxAlign when the walk cannot bound the alignment.
constexpr uint64_t UnknownAlign = uint64_t(1) << 32;

using GetTLIFn = llvm::function_ref<const llvm::TargetLibraryInfo &(llvm::Function &)>;

/// The C library function of the malloc family (malloc, calloc,
/// aligned_alloc, realloc, free) that \p CB calls, recognised through
/// TargetLibraryInfo (so nobuiltin calls and -fno-builtin code are not), or
/// nothing.  MemoryBuiltins alone does not know these functions until
/// InferFunctionAttrs has given their declarations allockind attributes.
std::optional<llvm::LibFunc> getMallocFamilyLibFunc(const llvm::CallBase &CB,
                                                    const llvm::TargetLibraryInfo &TLI);

/// Follows every use of the object that \p Alloc returns: through derived
/// pointers, into callees with an exact definition, and through local
/// containers (an alloca or another allocation that holds the pointer and
/// does not itself escape).  Anything it cannot follow makes both facts false.
ObjectFacts inferObjectFacts(const llvm::CallBase &Alloc, GetTLIFn GetTLI);

} // namespace escalloc

#endif
