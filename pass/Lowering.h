//===- Lowering.h - Lowering of heap allocations to mallocgc ------*- C++ -*-===//
//
// Interface between the escalloc plugin registration (Plugin.cpp) and the
// lowering of every allocation the heap-to-stack rewrite left on the heap to
// the runtime entry points of include/escalloc/abi.h.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_LOWERING_H
#define ESCALLOC_PASS_LOWERING_H

#include "llvm/IR/PassManager.h"

namespace escalloc {

/// Rewrites malloc/calloc/realloc/aligned_alloc/free (and friends) calls in a
/// module to escalloc_* entry points with compile-time size classes and
/// inferred flags.  Registered for opt as -passes=escalloc-lower; the plugin
/// runs it right after the heap-to-stack rewrite when lowering is enabled.
class EscallocLowerPass : public llvm::PassInfoMixin<EscallocLowerPass> {
public:
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &AM);
};

/// Gives the escalloc_* entry points a module calls weak definitions on the C
/// allocator, so that a lowered object also links and runs without the
/// runtime (a static archive linked by gcc; a shared library in a host not
/// built by escc); the runtime's strong definitions win wherever it is
/// linked.  The plugin runs it after the lowering; -passes=escalloc-fallbacks
/// for opt.
class EscallocFallbackPass : public llvm::PassInfoMixin<EscallocFallbackPass> {
public:
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &AM);
};

/// The -escalloc-lower knob (default on): false means promotion only, plain
/// malloc for the rest.
bool isLoweringEnabled();

/// The program's own malloc, free, calloc or realloc when the module defines
/// one (glibc lets a program replace its allocator), else null.  Such a
/// module is left alone: its allocation calls keep their meaning (nothing is
/// moved to the stack or lowered), and the runtime, whose drop-in names are
/// weak, forwards to the program's allocator.
llvm::Function *definedAllocator(llvm::Module &M);

/// definedAllocator(M), reported once as a remark at the definition.
llvm::Function *reportDefinedAllocator(llvm::Module &M,
                                       llvm::FunctionAnalysisManager &FAM);

} // namespace escalloc

#endif
