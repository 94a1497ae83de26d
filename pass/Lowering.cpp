//===- Lowering.cpp - Lowering of heap allocations to mallocgc ------------===//
//
// PLACEHOLDER until issue 5 lands: lowering is off and the pass changes
// nothing, so unpromoted allocations reach the runtime through its drop-in
// malloc.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"

using namespace llvm;

namespace escalloc {

bool isLoweringEnabled() { return false; }

PreservedAnalyses EscallocLowerPass::run(Module &M, ModuleAnalysisManager &AM) {
  return PreservedAnalyses::all();
}

} // namespace escalloc
