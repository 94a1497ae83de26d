//===- Plugin.cpp - Registration of the escalloc passes -------------------===//
//
// Where escalloc runs:
//  - the inventory at PipelineStart and PipelineEarlySimplification (it is
//    idempotent; the earlier point sees allocations that EarlyCSE deletes);
//  - decision + rewrite (then the lowering when enabled, then SROA) at
//    OptimizerEarly, after all inlining.  Under -flto the pre-link compile
//    defers the decision to link time: full LTO decides at
//    FullLinkTimeOptimizationLast over the merged module, ThinLTO in each
//    backend's OptimizerEarly;
//  - knobs: -mllvm -escalloc-* under clang and opt; for lld, which parses
//    -mllvm before loading plugins, the ESCALLOC_OPTIONS environment variable;
//  - for opt: -passes=escalloc, escalloc-inventory, escalloc-lower,
//    escalloc-fallbacks and print<escalloc>.
// Functions marked optnone (-O0) are left alone.
//
//===----------------------------------------------------------------------===//
#include "EscapeAnalysis.h"
#include "HeapToStack.h"
#include "Inventory.h"
#include "Lowering.h"
#include "Remarks.h"

#include "llvm/IR/Module.h"
#include <cstdlib>
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Scalar/SROA.h"

using namespace llvm;
using namespace escalloc;

namespace {

/// Marks a module whose pre-link compile deferred the decision.
constexpr const char *DeferredFlag = "escalloc.deferred";

/// True in the pre-link half of an LTO compile: clang tags LTO modules with
/// EnableSplitLTOUnit, and the first visit leaves DeferredFlag behind for
/// the ThinLTO backend to find.
bool deferToLinkTime(Module &M) {
  if (!M.getModuleFlag("EnableSplitLTOUnit") || M.getModuleFlag(DeferredFlag))
    return false;
  M.addModuleFlag(Module::Max, DeferredFlag, 1);
  return true;
}

/// Decision, rewrite, lowering and cleanup as one step of the pipeline.
class EscallocPipelinePass : public PassInfoMixin<EscallocPipelinePass> {
  bool AtLinkTime;

public:
  explicit EscallocPipelinePass(bool AtLinkTime) : AtLinkTime(AtLinkTime) {}
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &AM) {
    if (!AtLinkTime && deferToLinkTime(M))
      return PreservedAnalyses::all();
    // -m output in source order, once each, with a summary line at the end.
    SortedRemarks Sorted(M);
    SmallVector<Function *, 8> Rewritten;
    PreservedAnalyses PA = HeapToStackPass(&Rewritten).run(M, AM);
    AM.invalidate(M, PA);
    if (isLoweringEnabled()) {
      PreservedAnalyses LowerPA = EscallocLowerPass().run(M, AM);
      AM.invalidate(M, LowerPA);
      PA.intersect(std::move(LowerPA));
      PreservedAnalyses FallbackPA = EscallocFallbackPass().run(M, AM);
      AM.invalidate(M, FallbackPA);
      PA.intersect(std::move(FallbackPA));
    }
    // Promoted objects are plain allocas now: let SROA turn them into
    // registers before the loop optimizers look at them.  Only the rewritten
    // functions have new allocas; the others were through SROA already.
    if (!Rewritten.empty()) {
      auto &FAM =
          AM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
      SROAPass SROA(SROAOptions::PreserveCFG);
      for (Function *F : Rewritten)
        FAM.invalidate(*F, SROA.run(*F, FAM));
    }
    return PA;
  }
};

/// lld parses -mllvm options before it loads pass plugins, so it rejects
/// -escalloc-* knobs given as -Wl,-mllvm,...  At link time the knobs come
/// from the environment instead: ESCALLOC_OPTIONS="-escalloc-max-frame=8192"
/// (escc sets it from the -mllvm -escalloc-* arguments of an LTO link).
void parseKnobsFromEnvironment() {
  static bool Parsed = false;
  if (Parsed)
    return;
  Parsed = true;
  if (std::getenv("ESCALLOC_OPTIONS")) {
    const char *Argv[] = {"escalloc plugin"};
    if (!cl::ParseCommandLineOptions(1, Argv, "", &errs(), "ESCALLOC_OPTIONS"))
      report_fatal_error("escalloc: invalid ESCALLOC_OPTIONS (see above)",
                         /*gen_crash_diag=*/false);
  }
}

void registerCallbacks(PassBuilder &PB) {
  parseKnobsFromEnvironment();
  if (PassInstrumentationCallbacks *PIC = PB.getPassInstrumentationCallbacks())
    watchGlobalOpt(*PIC);
  PB.registerAnalysisRegistrationCallback([](ModuleAnalysisManager &MAM) {
    MAM.registerPass([] { return EscapeAnalysis(); });
  });
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM,
         ArrayRef<PassBuilder::PipelineElement>) {
        if (Name == "escalloc") {
          MPM.addPass(HeapToStackPass());
          return true;
        }
        if (Name == "escalloc-inventory") {
          MPM.addPass(InventoryPass());
          return true;
        }
        if (Name == "escalloc-lower") {
          MPM.addPass(EscallocLowerPass());
          return true;
        }
        if (Name == "escalloc-fallbacks") {
          MPM.addPass(EscallocFallbackPass());
          return true;
        }
        if (Name == "print<escalloc>") {
          MPM.addPass(EscapePrinterPass(outs()));
          return true;
        }
        return false;
      });
  auto Inventory = [](ModulePassManager &MPM, OptimizationLevel Level) {
    if (Level != OptimizationLevel::O0)
      MPM.addPass(InventoryPass());
  };
  PB.registerPipelineStartEPCallback(Inventory);
  PB.registerPipelineEarlySimplificationEPCallback(Inventory);
  PB.registerOptimizerEarlyEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel Level) {
        if (Level != OptimizationLevel::O0)
          MPM.addPass(EscallocPipelinePass(/*AtLinkTime=*/false));
        else
          MPM.addPass(NothingAtO0Pass());
      });
  PB.registerFullLinkTimeOptimizationLastEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel Level) {
        if (Level != OptimizationLevel::O0)
          MPM.addPass(EscallocPipelinePass(/*AtLinkTime=*/true));
      });
}

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "escalloc", "0.1.0", registerCallbacks};
}
