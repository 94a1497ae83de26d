//===- Inventory.cpp - Early inventory of allocation sites ----------------===//
//
// See Inventory.h.  A site node is distinct !{!"label", !"function", scope,
// i32 line, i32 column}, the scope being the call's DILocalScope (or null).
// The verifier allows a DILocation only in !dbg and loop metadata, so the
// location is kept in parts and rebuilt for the remark.  The label
// ("malloc(16)") is computed while the call still has its source shape.
//
//===----------------------------------------------------------------------===//
#include "Inventory.h"
#include "EscapeAnalysis.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/Analysis/MemoryBuiltins.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"

#define DEBUG_TYPE "escalloc"

using namespace llvm;

namespace escalloc {

static constexpr const char *SiteTag = "escalloc.site";
static constexpr const char *SiteList = "escalloc.sites";

PreservedAnalyses InventoryPass::run(Module &M, ModuleAnalysisManager &AM) {
  auto &FAM = AM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
  LLVMContext &Ctx = M.getContext();
  bool Changed = false;
  for (Function &F : M) {
    if (F.isDeclaration() || F.hasOptNone())
      continue;
    auto &TLI = FAM.getResult<TargetLibraryAnalysis>(F);
    for (Instruction &I : instructions(F)) {
      auto *CB = dyn_cast<CallBase>(&I);
      if (!CB || CB->getMetadata(SiteTag) || !isAllocationCall(*CB, TLI))
        continue;
      const DILocation *L = CB->getDebugLoc().get();
      Type *I32 = Type::getInt32Ty(Ctx);
      Metadata *Ops[] = {
          MDString::get(Ctx, allocLabel(*CB)), MDString::get(Ctx, F.getName()),
          L ? L->getScope() : nullptr,
          ConstantAsMetadata::get(ConstantInt::get(I32, L ? L->getLine() : 0)),
          ConstantAsMetadata::get(
              ConstantInt::get(I32, L ? L->getColumn() : 0))};
      MDNode *Site = MDNode::getDistinct(Ctx, Ops);
      CB->setMetadata(SiteTag, Site);
      M.getOrInsertNamedMetadata(SiteList)->addOperand(Site);
      Changed = true;
    }
  }
  if (!Changed)
    return PreservedAnalyses::all();
  // Metadata only: no analysis can observe it.
  return PreservedAnalyses::all();
}

void reportVanishedSites(Module &M, FunctionAnalysisManager &FAM) {
  NamedMDNode *List = M.getNamedMetadata(SiteList);
  if (!List)
    return;
  DenseSet<const MDNode *> Live;
  // A site LLVM replaced by another allocation at the same place (DSE turns
  // malloc+memset into calloc) still gets its decision through the new call.
  DenseSet<std::tuple<const DILocalScope *, unsigned, unsigned>> LiveLines;
  Function *Any = nullptr;
  for (Function &F : M) {
    if (F.isDeclaration())
      continue;
    if (!Any)
      Any = &F;
    for (Instruction &I : instructions(F)) {
      if (const MDNode *N = I.getMetadata(SiteTag))
        Live.insert(N);
      if (auto *CB = dyn_cast<CallBase>(&I))
        if (const DILocation *L = CB->getDebugLoc().get())
          if (isAllocationCall(*CB, FAM.getResult<TargetLibraryAnalysis>(F)))
            LiveLines.insert({L->getScope(), L->getLine(), L->getColumn()});
    }
  }
  for (const MDNode *N : List->operands()) {
    if (Live.contains(N) || N->getNumOperands() != 5)
      continue;
    auto *Label = dyn_cast_or_null<MDString>(N->getOperand(0));
    auto *FnName = dyn_cast_or_null<MDString>(N->getOperand(1));
    auto *Scope = dyn_cast_or_null<DILocalScope>(N->getOperand(2));
    auto *Line = mdconst::dyn_extract_or_null<ConstantInt>(N->getOperand(3));
    auto *Col = mdconst::dyn_extract_or_null<ConstantInt>(N->getOperand(4));
    if (!Label || !FnName || !Line || !Col)
      continue;
    DILocation *Loc =
        Scope ? DILocation::get(M.getContext(), Line->getZExtValue(),
                                Col->getZExtValue(), Scope)
              : nullptr;
    if (Loc && LiveLines.contains(
                   {Loc->getScope(), Loc->getLine(), Loc->getColumn()}))
      continue;
    Function *F = M.getFunction(FnName->getString());
    bool FunctionGone = !F || F->isDeclaration();
    if (FunctionGone)
      F = Any;
    if (!F)
      continue; // nothing left to attach a remark to
    auto &ORE = FAM.getResult<OptimizationRemarkEmitterAnalysis>(*F);
    ORE.emit([&] {
      OptimizationRemarkAnalysis R(DEBUG_TYPE, "RemovedAsDead", DebugLoc(Loc),
                                   &F->getEntryBlock());
      R << ore::NV("Allocation", Label->getString())
        << " removed as dead by LLVM before escape analysis";
      if (FunctionGone)
        R << " (function " << ore::NV("Function", FnName->getString())
          << " was removed)";
      return R;
    });
  }
}

bool stripInventory(Module &M) {
  bool Changed = false;
  unsigned Kind = M.getContext().getMDKindID(SiteTag);
  for (Function &F : M)
    for (Instruction &I : instructions(F))
      if (I.getMetadata(Kind)) {
        I.setMetadata(Kind, nullptr);
        Changed = true;
      }
  if (NamedMDNode *List = M.getNamedMetadata(SiteList)) {
    M.eraseNamedMetadata(List);
    Changed = true;
  }
  return Changed;
}

} // namespace escalloc
