//===- Inventory.cpp - Early inventory of allocation sites ----------------===//
//
// See Inventory.h.  A site node is distinct !{!"label", !"function", scope,
// i32 line, i32 column, holder}, the scope being the call's DILocalScope (or
// null), the holder the internal global the call's result is stored into
// (or null): the one GlobalOpt may turn the allocation into.
// The verifier allows a DILocation only in !dbg and loop metadata, so the
// location is kept in parts and rebuilt for the remark.  The label
// ("malloc(16)") is computed while the call still has its source shape.
//
//===----------------------------------------------------------------------===//
#include "Inventory.h"
#include "EscapeAnalysis.h"
#include "Lowering.h"

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
#include "llvm/IR/PassInstrumentation.h"
#include "llvm/Support/Debug.h"
#include <memory>

#define DEBUG_TYPE "escalloc"

using namespace llvm;

namespace escalloc {

static constexpr const char *SiteTag = "escalloc.site";
static constexpr const char *SiteList = "escalloc.sites";
/// !{site, !"holder's name"} for each site GlobalOpt turned into a global.
static constexpr const char *GlobalizedList = "escalloc.globalized";

/// The internal global \p CB's result is stored into, if any: GlobalOpt
/// replaces an allocation whose pointer lives only there by a global.
static GlobalVariable *holderOf(CallBase &CB) {
  for (User *U : CB.users())
    if (auto *SI = dyn_cast<StoreInst>(U))
      if (SI->getValueOperand() == &CB)
        if (auto *GV = dyn_cast<GlobalVariable>(
                SI->getPointerOperand()->stripPointerCasts()))
          if (GV->hasLocalLinkage())
            return GV;
  return nullptr;
}

PreservedAnalyses InventoryPass::run(Module &M, ModuleAnalysisManager &AM) {
  if (definedAllocator(M))
    return PreservedAnalyses::all(); // no escalloc sites (HeapToStack says why)
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
              ConstantInt::get(I32, L ? L->getColumn() : 0)),
          nullptr};
      if (GlobalVariable *Holder = holderOf(*CB))
        Ops[5] = ValueAsMetadata::get(Holder);
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

/// The site nodes some instruction of \p M carries.
static DenseSet<const MDNode *> liveSites(const Module &M) {
  DenseSet<const MDNode *> Live;
  unsigned Kind = M.getContext().getMDKindID(SiteTag);
  for (const Function &F : M)
    for (const Instruction &I : instructions(F))
      if (const MDNode *N = I.getMetadata(Kind))
        Live.insert(N);
  return Live;
}

/// The sites with a holder global, and the holder's name now (names change
/// in LTO, where internal globals are promoted and renamed).
static SmallVector<std::pair<MDNode *, std::string>, 4>
heldSites(const Module &M) {
  SmallVector<std::pair<MDNode *, std::string>, 4> Held;
  if (NamedMDNode *List = M.getNamedMetadata(SiteList))
    for (MDNode *N : List->operands())
      if (N->getNumOperands() > 5)
        if (auto *VM = dyn_cast_or_null<ValueAsMetadata>(N->getOperand(5)))
          Held.push_back({N, VM->getValue()->getName().str()});
  return Held;
}

void watchGlobalOpt(PassInstrumentationCallbacks &PIC) {
  // Before each GlobalOpt run, the sites that still exist and have a holder;
  // after it, those of them that are gone while a "<holder>.body" global
  // appeared (the name GlobalOpt gives the replacement) were globalized.
  auto Pending =
      std::make_shared<SmallVector<std::pair<MDNode *, std::string>, 4>>();
  PIC.registerBeforeNonSkippedPassCallback([Pending](StringRef PassID, Any IR) {
    Pending->clear();
    if (PassID != "GlobalOptPass")
      return;
    const Module *const *MP = any_cast<const Module *>(&IR);
    if (!MP)
      return;
    auto Held = heldSites(**MP);
    if (Held.empty())
      return;
    DenseSet<const MDNode *> Live = liveSites(**MP);
    for (auto &HS : Held)
      if (Live.contains(HS.first))
        Pending->push_back(HS);
  });
  PIC.registerAfterPassCallback(
      [Pending](StringRef PassID, Any IR, const PreservedAnalyses &) {
        if (PassID != "GlobalOptPass" || Pending->empty())
          return;
        const Module *const *MP = any_cast<const Module *>(&IR);
        if (!MP)
          return;
        Module &M = const_cast<Module &>(**MP);
        DenseSet<const MDNode *> Live = liveSites(M);
        LLVMContext &Ctx = M.getContext();
        for (auto &[N, Holder] : *Pending) {
          GlobalVariable *Body = M.getGlobalVariable(Holder + ".body", true);
          if (Live.contains(N) || !Body || !Body->hasLocalLinkage())
            continue;
          LLVM_DEBUG(dbgs() << "escalloc: GlobalOpt turned a site into @"
                            << Body->getName() << "\n");
          Metadata *Ops[] = {N, MDString::get(Ctx, Holder)};
          M.getOrInsertNamedMetadata(GlobalizedList)
              ->addOperand(MDNode::get(Ctx, Ops));
        }
        Pending->clear();
      });
}

/// Site -> the name of the global that held its only pointer, for the
/// sites GlobalOpt turned into a global.
static DenseMap<const MDNode *, StringRef> globalizedSites(const Module &M) {
  DenseMap<const MDNode *, StringRef> Out;
  if (NamedMDNode *List = M.getNamedMetadata(GlobalizedList))
    for (const MDNode *E : List->operands())
      if (E->getNumOperands() == 2)
        if (auto *Site = dyn_cast_or_null<MDNode>(E->getOperand(0)))
          if (auto *Name = dyn_cast_or_null<MDString>(E->getOperand(1)))
            Out[Site] = Name->getString();
  return Out;
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
  DenseMap<const MDNode *, StringRef> Globalized = globalizedSites(M);
  for (const MDNode *N : List->operands()) {
    if (Live.contains(N) || N->getNumOperands() < 5)
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
    auto G = Globalized.find(N);
    if (G != Globalized.end()) {
      // GlobalOpt's malloc-to-global: the object lives for the whole run, as
      // the program's only pointer to it (in the holder) would have kept it.
      ORE.emit([&] {
        OptimizationRemarkAnalysis R(DEBUG_TYPE, "TurnedIntoGlobal",
                                     DebugLoc(Loc), &F->getEntryBlock());
        R << ore::NV("Allocation", Label->getString())
          << " turned into a global by LLVM before escape analysis (its "
             "only pointer was stored in "
          << ore::NV("Global", G->second) << ")";
        return R;
      });
      continue;
    }
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
  for (const char *Name : {GlobalizedList, SiteList})
    if (NamedMDNode *List = M.getNamedMetadata(Name)) {
      M.eraseNamedMetadata(List);
      Changed = true;
    }
  return Changed;
}

} // namespace escalloc
