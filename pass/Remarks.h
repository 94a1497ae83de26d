//===- Remarks.h - How escalloc's decisions read ----------------*- C++ -*-===//
//
// Go's `-gcflags=-m` is the model: one line per decision, in source order,
// in the language's own names.  This file owns
//  - C names for IR values (`mk`, not `@mk`; C++ names demangled);
//  - the "(inlined into f)" tag every remark kind about an instruction gets;
//  - SortedRemarks: while the pipeline step runs, escalloc's remarks are
//    held back, then printed sorted by file and line (a decision's flow
//    lines stay under it), identical ones once, and a one-line summary of
//    the translation unit at the end (the YAML record is not reordered);
//  - the -O0 note: nothing is decided without optimisation.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_REMARKS_H
#define ESCALLOC_PASS_REMARKS_H

#include "llvm/IR/DiagnosticHandler.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/PassManager.h"
#include <memory>
#include <string>

namespace escalloc {

/// The name the user wrote: a function's or global's name without IR
/// escapes, demangled when it is a C++ name.
std::string cName(llvm::StringRef IRName);
std::string cName(const llvm::Value &V);

/// \p Text with each IR global reference ("@mk", "@_Z2mkv") in C terms.
std::string cText(llvm::StringRef Text);

/// Appends " (inlined into f)" when \p I is in a copy the inliner made (a
/// glibc header's inline wrapper does not count: see userLoc).
void appendInlined(llvm::DiagnosticInfoOptimizationBase &R,
                   const llvm::Instruction &I);
/// The same for an instruction already replaced: its userLoc and function.
void appendInlined(llvm::DiagnosticInfoOptimizationBase &R,
                   const llvm::DebugLoc &Loc, const llvm::Function &F);

/// Holds escalloc's remarks emitted between construction and flush() (or
/// destruction), then prints them in source order, once each, followed by a
/// summary line.  Does nothing when no escalloc remark is enabled.
class SortedRemarks {
public:
  explicit SortedRemarks(llvm::Module &M);
  ~SortedRemarks() { flush(); }
  void flush();

  struct Held {
    std::unique_ptr<llvm::DiagnosticInfoOptimizationBase> Remark;
    std::string File;
    unsigned Line = 0, Column = 0;
    unsigned Seq = 0;
  };

private:
  llvm::Module &M;
  std::unique_ptr<llvm::DiagnosticHandler> Previous;
  std::vector<Held> Remarks;
  friend class CapturingHandler;
};

/// At -O0 with escalloc remarks asked for: one remark that nothing is
/// decided (every function is optnone; allocations stay calls to malloc).
class NothingAtO0Pass : public llvm::PassInfoMixin<NothingAtO0Pass> {
public:
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  static bool isRequired() { return true; }
};

} // namespace escalloc

#endif
