//===- Inventory.h - Early inventory of allocation sites ----------*- C++ -*-===//
//
// At -O2 LLVM deletes some allocations (an unused malloc, a malloc/free pair
// InstCombine can see through) before the inliner runs, long before the
// escape analysis.  To still give every allocation the user wrote a decision,
// the inventory runs first: it tags each allocation call with a distinct
// site node (!escalloc.site) that also lists the module-level named metadata
// !escalloc.sites.  The tag follows the call through inlining and cloning
// (every copy carries the same node), so a node that no instruction carries
// at decision time marks a site LLVM removed.
//
// Invariants: tagging is idempotent (calls already tagged keep their node,
// so the inventory may run at several extension points and again in the LTO
// backend); a node is never shared by two source sites.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_INVENTORY_H
#define ESCALLOC_PASS_INVENTORY_H

#include "llvm/IR/PassManager.h"

namespace llvm {
class PassInstrumentationCallbacks;
} // namespace llvm

namespace escalloc {

/// -passes=escalloc-inventory: tag every allocation call.
class InventoryPass : public llvm::PassInfoMixin<InventoryPass> {
public:
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &AM);
  static bool isRequired() { return true; }
};

/// Watches GlobalOpt, which replaces an allocation whose only pointer lives
/// in one internal global by a global of its own ("<holder>.body"): such a
/// site is reported "turned into a global by LLVM", not "removed as dead".
void watchGlobalOpt(llvm::PassInstrumentationCallbacks &PIC);

/// Emits the "removed as dead" remark for every inventoried site that no
/// instruction carries any more.
void reportVanishedSites(llvm::Module &M, llvm::FunctionAnalysisManager &FAM);

/// Drops the tags and the site list once decisions are made.  Returns
/// whether anything was removed.
bool stripInventory(llvm::Module &M);

} // namespace escalloc

#endif
