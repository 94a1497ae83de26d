//===- Remarks.cpp - How escalloc's decisions read ------------------------===//
//
// See Remarks.h.  SortedRemarks swaps the context's diagnostic handler for
// one that keeps copies of escalloc's remarks and passes everything else
// on; flush() puts the previous handler back and hands it the kept remarks
// in order.  The YAML optimization record is written by the context before
// any handler sees a remark, so it keeps the order of emission.
//
//===----------------------------------------------------------------------===//
#include "Remarks.h"
#include "LibCalls.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/DiagnosticPrinter.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>

#define DEBUG_TYPE "escalloc"

using namespace llvm;

namespace escalloc {

std::string cName(StringRef IRName) {
  IRName = GlobalValue::dropLLVMManglingEscape(IRName);
  if (IRName.starts_with("_Z"))
    return demangle(IRName);
  return IRName.str();
}

std::string cName(const Value &V) { return cName(V.getName()); }

std::string cText(StringRef Text) {
  std::string Out;
  for (size_t I = 0; I < Text.size(); ++I) {
    if (Text[I] != '@' || I + 1 == Text.size() ||
        !(isAlpha(Text[I + 1]) || Text[I + 1] == '_' || Text[I + 1] == '.')) {
      Out += Text[I];
      continue;
    }
    size_t E = I + 1;
    while (E < Text.size() && (isAlnum(Text[E]) || Text[E] == '_' ||
                               Text[E] == '.' || Text[E] == '$'))
      ++E;
    Out += cName(Text.slice(I + 1, E));
    I = E - 1;
  }
  return Out;
}

void appendInlined(DiagnosticInfoOptimizationBase &R, const Instruction &I) {
  appendInlined(R, userLoc(I), *I.getFunction());
}

void appendInlined(DiagnosticInfoOptimizationBase &R, const DebugLoc &Loc,
                   const Function &F) {
  if (const DILocation *L = Loc.get())
    if (L->getInlinedAt()) {
      R << " (inlined into ";
      if (F.getName().starts_with("_Z"))
        R << ore::NV("Caller", cName(F));
      else
        R << ore::NV("Caller", &F);
      R << ")";
    }
}

static bool isEscallocRemark(const DiagnosticInfo &DI) {
  auto *R = dyn_cast<DiagnosticInfoOptimizationBase>(&DI);
  return R && StringRef(R->getPassName()) == DEBUG_TYPE &&
         (isa<OptimizationRemark>(R) || isa<OptimizationRemarkMissed>(R) ||
          isa<OptimizationRemarkAnalysis>(R));
}

static std::unique_ptr<DiagnosticInfoOptimizationBase>
copyRemark(const DiagnosticInfo &DI) {
  if (auto *R = dyn_cast<OptimizationRemark>(&DI))
    return std::make_unique<OptimizationRemark>(*R);
  if (auto *R = dyn_cast<OptimizationRemarkMissed>(&DI))
    return std::make_unique<OptimizationRemarkMissed>(*R);
  return std::make_unique<OptimizationRemarkAnalysis>(
      cast<OptimizationRemarkAnalysis>(DI));
}

/// Keeps escalloc's remarks for SortedRemarks; asks and passes the rest to
/// the handler it replaced.
class CapturingHandler : public DiagnosticHandler {
public:
  CapturingHandler(SortedRemarks &Into, DiagnosticHandler &Previous)
      : DiagnosticHandler(Previous.DiagnosticContext), Into(Into),
        Previous(Previous) {
    DiagHandlerCallback = Previous.DiagHandlerCallback;
  }
  bool handleDiagnostics(const DiagnosticInfo &DI) override {
    if (!isEscallocRemark(DI))
      return Previous.handleDiagnostics(DI);
    SortedRemarks::Held H;
    H.Remark = copyRemark(DI);
    auto &R = cast<DiagnosticInfoWithLocationBase>(*H.Remark);
    if (StringRef(H.Remark->getRemarkName()) == "Flow" &&
        !Into.Remarks.empty()) {
      // A flow line stays under the decision it explains.
      const SortedRemarks::Held &Owner = Into.Remarks.back();
      H.File = Owner.File;
      H.Line = Owner.Line;
      H.Column = Owner.Column;
    } else if (R.isLocationAvailable()) {
      H.File = R.getLocation().getRelativePath();
      H.Line = R.getLocation().getLine();
      H.Column = R.getLocation().getColumn();
    }
    H.Seq = Into.Remarks.size();
    Into.Remarks.push_back(std::move(H));
    return true;
  }
  bool isAnalysisRemarkEnabled(StringRef PassName) const override {
    return Previous.isAnalysisRemarkEnabled(PassName);
  }
  bool isMissedOptRemarkEnabled(StringRef PassName) const override {
    return Previous.isMissedOptRemarkEnabled(PassName);
  }
  bool isPassedOptRemarkEnabled(StringRef PassName) const override {
    return Previous.isPassedOptRemarkEnabled(PassName);
  }
  bool isAnyRemarkEnabled() const override {
    return Previous.isAnyRemarkEnabled();
  }

private:
  SortedRemarks &Into;
  DiagnosticHandler &Previous;
};

SortedRemarks::SortedRemarks(Module &M) : M(M) {
  LLVMContext &Ctx = M.getContext();
  if (!Ctx.getDiagHandlerPtr()->isAnyRemarkEnabled(DEBUG_TYPE))
    return;
  Previous = Ctx.getDiagnosticHandler();
  // Filters on: remarks reach the handlers only when enabled, as the
  // handler's own answers (which ours passes on) say.
  Ctx.setDiagnosticHandler(std::make_unique<CapturingHandler>(*this, *Previous),
                           /*RespectFilters=*/true);
}

/// The previous handler prints \p R, or the context's fallback does.
static void deliver(DiagnosticHandler &H, const DiagnosticInfo &R) {
  if (H.handleDiagnostics(R))
    return;
  DiagnosticPrinterRawOStream DP(errs());
  errs() << "remark: ";
  R.print(DP);
  errs() << "\n";
}

void SortedRemarks::flush() {
  if (!Previous)
    return;
  LLVMContext &Ctx = M.getContext();
  bool HadErrors = Ctx.getDiagHandlerPtr()->HasErrors;
  Previous->HasErrors |= HadErrors;
  DiagnosticHandler &H = *Previous;
  Ctx.setDiagnosticHandler(std::move(Previous), /*RespectFilters=*/true);

  std::stable_sort(Remarks.begin(), Remarks.end(),
                   [](const Held &A, const Held &B) {
                     return std::tie(A.File, A.Line, A.Column) <
                            std::tie(B.File, B.Line, B.Column);
                   });
  unsigned Sites = 0, Moved = 0, Escaping = 0, Lowered = 0, Removed = 0;
  StringSet<> Printed;
  const Function *Last = nullptr;
  for (Held &X : Remarks) {
    DiagnosticInfoOptimizationBase &R = *X.Remark;
    StringRef Name = R.getRemarkName();
    if (Name == "MovedToStack" || Name == "MovedToCallerFrame")
      ++Moved;
    else if (Name == "EscapesToHeap")
      ++Escaping;
    else if (Name == "LoweredToMallocgc")
      ++Lowered;
    else if (Name == "RemovedAsDead" || Name == "TurnedIntoGlobal")
      ++Removed;
    std::string Key;
    raw_string_ostream(Key) << int(R.getKind()) << '|' << X.File << ':'
                            << X.Line << ':' << X.Column << '|' << R.getMsg();
    if (!Printed.insert(Key).second)
      continue; // an identical line was printed
    deliver(H, R);
    Last = &cast<DiagnosticInfoWithLocationBase>(R).getFunction();
  }
  Sites = Moved + Escaping + Removed;
  if (!Last || !Sites)
    return;
  // The summary, at the top of the file the last decision is in.
  const Function &F = *Last;
  DiagnosticLocation Loc;
  if (const DISubprogram *SP = F.getSubprogram())
    Loc = DiagnosticLocation(DebugLoc(DILocation::get(Ctx, 1, 1, const_cast<DISubprogram *>(SP))));
  OptimizationRemarkAnalysis S(DEBUG_TYPE, "Summary", Loc, &F.getEntryBlock());
  S << "escalloc: " << ore::NV("Sites", Sites)
    << (Sites == 1 ? " allocation site: " : " allocation sites: ")
    << ore::NV("MovedToStack", Moved) << " moved to stack, "
    << ore::NV("Escaping", Escaping) << " escaping, "
    << ore::NV("Lowered", Lowered) << " heap paths lowered to mallocgc";
  if (Removed)
    S << ", " << ore::NV("Removed", Removed) << " removed or made global by LLVM";
  if (S.isEnabled())
    deliver(H, S);
  Remarks.clear();
}

PreservedAnalyses NothingAtO0Pass::run(Module &M, ModuleAnalysisManager &) {
  LLVMContext &Ctx = M.getContext();
  if (!Ctx.getDiagHandlerPtr()->isAnyRemarkEnabled(DEBUG_TYPE))
    return PreservedAnalyses::all();
  for (Function &F : M) {
    if (F.isDeclaration())
      continue;
    DiagnosticLocation Loc;
    if (const DISubprogram *SP = F.getSubprogram())
      Loc = DiagnosticLocation(DebugLoc(DILocation::get(Ctx, 1, 1, const_cast<DISubprogram *>(SP))));
    OptimizationRemarkAnalysis R(DEBUG_TYPE, "NothingDecided", Loc,
                                 &F.getEntryBlock());
    R << "escalloc: nothing is decided at -O0: every allocation stays on the "
         "heap (escape analysis runs at -O1 and above)";
    Ctx.diagnose(R);
    break;
  }
  return PreservedAnalyses::all();
}

} // namespace escalloc
