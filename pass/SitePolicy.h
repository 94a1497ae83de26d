//===- SitePolicy.h - the per-site promotion decision -----------*- C++ -*-===//
//
// Private to the analysis.  SiteDecider decides, for each allocation site
// of one solved function, whether it moves to the stack (SitePolicy.cpp);
// EscapeAnalysis::run calls it in program order, so the frame budget is
// spent first come, first served.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_SITEPOLICY_H
#define ESCALLOC_PASS_SITEPOLICY_H

#include "FunctionAnalyzer.h"

#include "llvm/Analysis/CycleAnalysis.h"
#include <memory>

namespace llvm {
class LazyValueInfo;
class LoopInfo;
} // namespace llvm

namespace escalloc {

using llvm::CycleInfo;
using llvm::FunctionAnalysisManager;
using llvm::LazyValueInfo;
using llvm::LoopInfo;

struct SiteDecider {
  Function &F;
  FunctionAnalyzer &FA;
  const TargetLibraryInfo &TLI;
  LoopInfo &LI;
  CycleInfo &CI;
  LazyValueInfo &LVI;
  FunctionEscapeInfo &Out;
  uint64_t CalleePath; // deepest promoted bytes below this function
  FunctionAnalysisManager &FAM; // the callees' TTI, for wrapper calls
  SummaryLookup Lookup;         // the callees' summaries, for wrapper calls

  /// The function solved again with returns not counted as escapes, for
  /// movesToHeapAtReturn (made on first use).
  std::unique_ptr<FunctionAnalyzer> ReturnFree;

  void decide(unsigned Id);
  bool movesToHeapAtReturn(unsigned Id, AllocSite &S);
  bool sizeAndAlign(AllocSite &S);
  bool loopSafe(unsigned Id, AllocSite &S);
  void explain(unsigned Id, AllocSite &S);
};

} // namespace escalloc

#endif
