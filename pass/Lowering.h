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

/// The -escalloc-lower knob (default on): false means promotion only, plain
/// malloc for the rest.
bool isLoweringEnabled();

} // namespace escalloc

#endif
