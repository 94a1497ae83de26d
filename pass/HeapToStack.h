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

#include "llvm/IR/PassManager.h"

namespace escalloc {

/// -passes=escalloc.
class HeapToStackPass : public llvm::PassInfoMixin<HeapToStackPass> {
  bool *Promoted;

public:
  /// \p Promoted, when given, is set to whether any object moved.
  explicit HeapToStackPass(bool *Promoted = nullptr) : Promoted(Promoted) {}
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &AM);
};

} // namespace escalloc

#endif
