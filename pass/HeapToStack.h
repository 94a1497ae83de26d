//===- HeapToStack.h - Move non-escaping heap objects to the stack -*- C++ -*-===//
//
// The transform half of escalloc: reads EscapeInfo, emits one decision remark
// per allocation call (and the parameter summaries), and rewrites each
// promoted allocation into an entry-block alloca with lifetime markers at the
// original site, deleting the frees that released it.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_HEAPTOSTACK_H
#define ESCALLOC_PASS_HEAPTOSTACK_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/PassManager.h"

namespace escalloc {

/// -passes=escalloc.
class HeapToStackPass : public llvm::PassInfoMixin<HeapToStackPass> {
  llvm::SmallVectorImpl<llvm::Function *> *ChangedFunctions;

public:
  /// \p ChangedFunctions, when given, receives the functions rewritten
  /// (objects moved to their frame, wrappers inlined into them).
  explicit HeapToStackPass(
      llvm::SmallVectorImpl<llvm::Function *> *ChangedFunctions = nullptr)
      : ChangedFunctions(ChangedFunctions) {}
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &AM);
};

} // namespace escalloc

#endif
