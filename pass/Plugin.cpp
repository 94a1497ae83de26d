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
//    -mllvm before loading plugins, the ESCALLOC_OPTIONS environment variable
//    (escc fills it from -mllvm -escalloc-* and from -Wl,-mllvm,-escalloc-*);
//  - at link time: remarks printed as clang prints them at a compile
//    (CompileStyleRemarks), parameter names from the pre-link compile's
//    metadata (recordParamNames);
//  - with the decision: the frame-pointer marker the runtime's profiler reads
//    (FrameMarker.h);
//  - for opt: -passes=escalloc, escalloc-inventory, escalloc-lower,
//    escalloc-fallbacks and print<escalloc>.
// Functions marked optnone (-O0) are left alone.
//
//===----------------------------------------------------------------------===//
#include "EscapeAnalysis.h"
#include "FrameMarker.h"
#include "HeapToStack.h"
#include "Inventory.h"
#include "Lowering.h"
#include "Remarks.h"

#include "llvm/IR/DiagnosticHandler.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Metadata.h"
#include "llvm/IR/Module.h"
#include <algorithm>
#include <cstdlib>
#include <optional>
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

/// The pre-link compile keeps each function's parameter names in metadata:
/// the linker's LLVMContext discards IR value names when it loads bitcode, and
/// the link-time summaries ("leaking param: p") would read "#1" otherwise.
void recordParamNames(Module &M) {
  LLVMContext &Ctx = M.getContext();
  for (Function &F : M) {
    if (F.isDeclaration() || F.arg_empty() ||
        none_of(F.args(), [](const Argument &A) { return A.hasName(); }))
      continue;
    SmallVector<Metadata *, 4> Names;
    for (const Argument &A : F.args())
      Names.push_back(MDString::get(Ctx, A.getName()));
    F.setMetadata(ParamNamesMD, MDTuple::get(Ctx, Names));
  }
}

/// At link time escalloc's remarks are printed as clang prints them at a
/// compile ("file:line:col: remark: ... [-Rpass=escalloc]", on stderr), not
/// in the linker's own format (lld prints "file:line:col: ..." on stdout).
/// Installed around the link-time run only; every other diagnostic, and the
/// question of which remarks are enabled, goes to the linker's handler.
class CompileStyleRemarks final : public DiagnosticHandler {
  std::unique_ptr<DiagnosticHandler> Linker;

public:
  explicit CompileStyleRemarks(std::unique_ptr<DiagnosticHandler> H)
      : Linker(std::move(H)) {
    DiagHandlerCallback = Linker->DiagHandlerCallback;
    DiagnosticContext = Linker->DiagnosticContext;
  }
  std::unique_ptr<DiagnosticHandler> release() { return std::move(Linker); }

  bool handleDiagnostics(const DiagnosticInfo &DI) override {
    const auto *R = dyn_cast<DiagnosticInfoOptimizationBase>(&DI);
    if (!R || R->getPassName() != "escalloc")
      return Linker->handleDiagnostics(DI);
    if (!R->isEnabled())
      return true;
    const char *Flag = isa<OptimizationRemarkMissed>(R)     ? "-Rpass-missed"
                       : isa<OptimizationRemarkAnalysis>(R) ? "-Rpass-analysis"
                                                            : "-Rpass";
    std::string Line;
    raw_string_ostream OS(Line);
    if (const auto *L = dyn_cast<DiagnosticInfoWithLocationBase>(R);
        L && L->isLocationAvailable()) {
      DiagnosticLocation Loc = L->getLocation();
      // Column 0 (a function's own line) is where clang puts it: column 1.
      OS << Loc.getRelativePath() << ":" << Loc.getLine() << ":"
         << std::max(Loc.getColumn(), 1u) << ": ";
    }
    OS << "remark: " << R->getMsg() << " [" << Flag << "=escalloc]\n";
    errs() << OS.str(); // one write per line: ThinLTO backends run in threads
    return true;
  }
  bool isAnalysisRemarkEnabled(StringRef PassName) const override {
    return Linker->isAnalysisRemarkEnabled(PassName);
  }
  bool isMissedOptRemarkEnabled(StringRef PassName) const override {
    return Linker->isMissedOptRemarkEnabled(PassName);
  }
  bool isPassedOptRemarkEnabled(StringRef PassName) const override {
    return Linker->isPassedOptRemarkEnabled(PassName);
  }
  bool isAnyRemarkEnabled() const override {
    return Linker->isAnyRemarkEnabled();
  }
};

/// Puts CompileStyleRemarks in front of the context's handler for a scope.
class CompileStyleRemarksScope {
  LLVMContext &Ctx;
  bool Installed = false;

public:
  explicit CompileStyleRemarksScope(LLVMContext &C) : Ctx(C) {
    if (!Ctx.getDiagHandlerPtr())
      return;
    Ctx.setDiagnosticHandler(
        std::make_unique<CompileStyleRemarks>(Ctx.getDiagnosticHandler()),
        /*RespectFilters=*/true);
    Installed = true;
  }
  ~CompileStyleRemarksScope() {
    if (!Installed)
      return;
    std::unique_ptr<DiagnosticHandler> Ours = Ctx.getDiagnosticHandler();
    Ctx.setDiagnosticHandler(
        static_cast<CompileStyleRemarks &>(*Ours).release(),
        /*RespectFilters=*/true);
  }
};

/// Decision, rewrite, lowering and cleanup as one step of the pipeline.
class EscallocPipelinePass : public PassInfoMixin<EscallocPipelinePass> {
  bool AtLinkTime;

public:
  explicit EscallocPipelinePass(bool AtLinkTime) : AtLinkTime(AtLinkTime) {}
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &AM) {
    // A ThinLTO backend finds the flag its pre-link compile left.
    bool InLinker = AtLinkTime || M.getModuleFlag(DeferredFlag);
    if (!AtLinkTime && deferToLinkTime(M)) {
      recordParamNames(M);
      return PreservedAnalyses::all();
    }
    // Before the pass adds functions of its own.  An unreferenced constant:
    // no analysis changes.
    markFramePointers(M);
    // The linker's remarks read as a compile's; installed first, so that
    // the sorted -m output below is printed through it.
    std::optional<CompileStyleRemarksScope> Remarks;
    if (InLinker)
      Remarks.emplace(M.getContext());
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
