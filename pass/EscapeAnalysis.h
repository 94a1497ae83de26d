//===- EscapeAnalysis.h - Go-style escape analysis for C heap objects -*- C++ -*-===//
//
// The analysis half of escalloc: for every allocation call in a module it
// decides whether the object may live in its allocating function's frame, and
// for every defined function it summarises what the function does with each
// pointer parameter (Go's "leaking param" facts).  HeapToStack.h consumes the
// result; nothing here changes the IR.
//
// Model (Go's location graph, adapted to LLVM IR):
//  - Abstract objects: each allocation call ("site"), each alloca, the memory
//    a pointer parameter points to (its "pointee"), the memory reached by
//    loading pointers out of that pointee (its "content", all deeper levels
//    collapsed into one), and one External object standing for globals and
//    everything the function cannot see.
//  - Points-to sets for SSA scalars (pointers, and integers and floats that
//    may hold a pointer's bits: data is data only when no pointer bits can
//    be in it), and a contents set per object
//    (what pointers may be stored into it: one dereference level).  Loading a
//    pointer from an object yields its contents; storing a pointer into an
//    object adds to them.
//  - An object escapes when a pointer to it may be published: stored into
//    external or escaping memory, returned, passed to a callee whose summary
//    (or, for declarations, whose attributes) does not rule it out, used
//    atomically, by inline asm, or by anything the analysis does not
//    understand.  An address turned into an integer carries the object as
//    its bits, and publishes it the same ways.  Escape propagates to contents.
//  - Functions are visited bottom-up over call-graph SCCs so callees'
//    parameter summaries are known at their call sites; within an SCC the
//    summaries are iterated to a fixed point from the optimistic bottom.
//
// Soundness rule: every case the analysis does not positively understand
// keeps the object on the heap, with a reason a user can read.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_ESCAPEANALYSIS_H
#define ESCALLOC_PASS_ESCAPEANALYSIS_H

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/DebugLoc.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Support/Alignment.h"
#include <array>
#include <optional>
#include <string>

namespace llvm {
class AllocaInst;
class GlobalVariable;
class ReturnInst;
class TargetLibraryInfo;
class raw_ostream;
} // namespace llvm

namespace escalloc {

/// What a function may do with the object a pointer parameter points to.
/// A bit set: several facts can hold at once.
enum ParamFlags : unsigned {
  ParamNoEscape = 0,
  ParamLeaks = 1u << 0,        ///< stored where it outlives the call
  ParamToResult = 1u << 1,     ///< may be returned
  ParamFreed = 1u << 2,        ///< freed or reallocated by the callee
  ParamContentLeaks = 1u << 3, ///< pointers loaded out of it escape
  ParamContentToResult = 1u << 4, ///< pointers loaded out of it returned
  /// For remarks: data read at a constant offset (see ParamBitsFact) leaks
  /// or is returned; callers decide with the facts themselves.
  ParamDataLeaks = 1u << 5,
  ParamDataToResult = 1u << 6,
  /// Dereference levels (Go's `leaking param content` level=N): only what
  /// lies two or more loads below the parameter leaks, or is returned
  /// (`sink = **pp` leaks the object *pp points to, not *pp's own).
  ParamContent2Leaks = 1u << 7,
  ParamContent2ToResult = 1u << 8,
};

/// What a function does with the bits it reads, as data (an integer or a
/// float), at a constant offset from a pointer parameter: a caller whose
/// object holds no pointer at those bytes passes only data there.
struct ParamBitsFact {
  unsigned Arg = 0;
  int64_t Offset = 0;
  uint64_t Size = 0;
  unsigned Flags = 0; ///< ParamLeaks, ParamToResult
};

/// One human-readable reason, kept in parts so remarks carry the subject as
/// a structured argument (ore::NV) and print as one sentence.
struct Reason {
  Reason() = default;
  Reason(std::string Text, const llvm::Value *Subject = nullptr,
         std::string Tail = "")
      : Text(std::move(Text)), Subject(Subject), Tail(std::move(Tail)) {}
  std::string Text;                       ///< e.g. "returned from @"
  const llvm::Value *Subject = nullptr;   ///< e.g. the function
  std::string Tail;                       ///< e.g. " argument 2 which leaks it"
  std::string str() const;
  bool empty() const { return Text.empty() && !Subject && Tail.empty(); }
};

/// One step of the flow from an allocation to where it escapes
/// (-escalloc-explain, Go's -m=2).
struct FlowStep {
  const llvm::Instruction *At = nullptr;
  std::string What;
};

/// The decision for one allocation call.
struct AllocSite {
  llvm::CallBase *Call = nullptr;
  std::string Label;                ///< "malloc(48)", "calloc(4, 12)"
  bool Promote = false;
  Reason Why;                       ///< why it stays on the heap
  uint64_t Size = 0;                ///< bytes reserved on the stack
  bool RuntimeFallback = false;     ///< stack only when the size fits
  llvm::Value *DynSize = nullptr;   ///< the run-time size for the fallback
  /// calloc's element count when the fallback's size is DynCount * DynSize
  /// (the rewrite multiplies, saturating on overflow so that the heap path,
  /// calloc itself, returns NULL as it would have).
  llvm::Value *DynCount = nullptr;
  llvm::Align Alignment = llvm::Align(16);
  bool Zeroed = false;              ///< calloc: zero at the site
  bool CopiesString = false;        ///< strdup/strndup: copy Size-1 bytes + NUL
  /// The operands whose product is the size asked for (malloc: {0},
  /// calloc: {0, 1}, aligned_alloc: {1}); none for a string copy (Size).
  llvm::SmallVector<unsigned, 2> SizeArgs;
  /// Through an allocation hook (AllocHooks.h): the stack only when the
  /// call does what malloc does at run time (the hook's pointer equals
  /// malloc, or the wrapper's path to malloc is taken).
  bool ThroughHook = false;
  /// "hook global_hooks.allocate equals malloc", "pma_malloc forwards to
  /// malloc when state.init == 2".
  std::string HookSpeculation;
  bool InLoop = false;
  /// A call to an allocation wrapper whose result does not escape here: the
  /// transform inlines it and decides on the allocation inside.
  bool InlineWrapper = false;
  /// A growable buffer grown by calls of realloc wrappers (ReallocParam),
  /// which would otherwise be promoted: the transform inlines these calls
  /// and decides on the buffer again, with the reallocs now its own.
  llvm::SmallVector<llvm::CallBase *, 1> InlineReallocWrappers;
  /// Destination passing (DestPassing.h): a call of this function, whose
  /// fresh result is built in the caller's slot by a clone of it.
  const llvm::Function *DestCallee = nullptr;
  llvm::SmallVector<llvm::CallBase *, 2> Frees; ///< frees to delete
  /// A growable buffer: the reallocs of it, which keep it in its slot while
  /// the new size fits and move it to the heap beyond (its frees are then
  /// guarded, not deleted).
  llvm::SmallVector<llvm::CallBase *, 2> Reallocs;
  /// Go's move2heap: a growable buffer whose only escape is this return
  /// (of its start, outside any loop) is built in its slot and copied to
  /// a heap object of its live size there, if it is still in the slot.
  llvm::ReturnInst *MoveAtReturn = nullptr;
  llvm::SmallVector<FlowStep, 4> Flow;
};

/// The analysis of one defined function.
struct FunctionEscapeInfo {
  llvm::SmallVector<AllocSite, 4> Sites;
  /// Frees in promoted sites' Frees that may also release an object staying
  /// on the heap (another site, a parameter's, an unknown pointer): the
  /// rewrite keeps them, behind a check that the pointer is no stack slot.
  llvm::SmallVector<llvm::CallBase *, 2> KeptFrees;
  llvm::SmallVector<unsigned, 4> ParamSummary; ///< ParamFlags per argument
  /// Data reads at constant offsets that leave the function (not in a
  /// recursive SCC: there such reads count as content).
  llvm::SmallVector<ParamBitsFact, 2> ParamBits;
  bool ReturnsOnlyParams = true; ///< no returned pointer but a parameter
  /// A result that is a struct or array of pointers ({ptr, ptr} returned in
  /// registers), tracked field by field: per argument, a mask of the
  /// result's scalar leaves (flattened fields, bit K for leaf K) that may
  /// hold its pointee, its content and its deeper content (the ToResult
  /// flags' levels).  Empty for any other result.
  llvm::SmallVector<std::array<uint64_t, 3>, 4> ResultLeaves;
  /// Returns a fresh allocation that escapes only by being returned (an
  /// xmalloc): callers that keep the result local get it inlined.
  bool IsAllocWrapper = false;
  /// A realloc wrapper (an xrealloc, jq's jv_mem_realloc): the parameter
  /// whose pointer the body passes to its one realloc, and nowhere else,
  /// and whose result it only returns (or null); else -1.  A caller reads
  /// a call of it as that realloc (reallocWrapperParam).
  int ReallocParam = -1;
  /// Destination passing (DestPassing.h): the returned fresh object's site
  /// (malloc, calloc, or a call of a function with a destination), when a
  /// clone can build it in a caller's slot; else null, and DestWhy says why.
  llvm::CallBase *DestSite = nullptr;
  std::string DestWhy;
  unsigned DestDepth = 0;      ///< functions the destination passes through
  uint64_t DestConstSize = 0;  ///< the object's constant size, or 0
  int DestSizeArg = -1;        ///< else the parameter that is its size,
  uint64_t DestSizeScale = 1;  ///< times this (calloc(n, 8))
  uint64_t DestAlign = 16;     ///< what its code assumes (an aligned vector)
  llvm::SmallVector<llvm::CallBase *, 2> DestFrees; ///< its frees in here
  /// The site calls through an allocation hook (AllocHooks.h), directly or
  /// down the chain: the clone builds the object in the slot only when the
  /// hook is malloc at the call, and a caller's result may also be the
  /// user's allocator's memory (external).  DestSpeculation says which test.
  bool DestThroughHook = false;
  std::string DestSpeculation;
  uint64_t PromotedBytes = 0;   ///< stack this function gains
  uint64_t PathBytes = 0;       ///< promoted bytes along its deepest call path
  uint64_t FrameBudget = 0;     ///< the per-frame budget that applied
  bool Recursive = false;
  /// On a cycle only through indirect calls or callbacks (the call graph
  /// does not see it).
  bool HiddenRecursion = false;
  const llvm::Value *OpaqueCallee = nullptr; ///< first external/indirect call
  bool HasOpaqueCall = false;
};

/// The result of EscapeAnalysis: one entry per analysed function, in
/// bottom-up call-graph order.
class EscapeInfo {
public:
  llvm::MapVector<const llvm::Function *, FunctionEscapeInfo> Functions;

  const FunctionEscapeInfo *lookup(const llvm::Function &F) const {
    auto It = Functions.find(&F);
    return It == Functions.end() ? nullptr : &It->second;
  }
  void print(llvm::raw_ostream &OS) const;
  bool invalidate(llvm::Module &, const llvm::PreservedAnalyses &PA,
                  llvm::ModuleAnalysisManager::Invalidator &);
};

/// Module analysis: bottom-up over call-graph SCCs.
class EscapeAnalysis : public llvm::AnalysisInfoMixin<EscapeAnalysis> {
  friend llvm::AnalysisInfoMixin<EscapeAnalysis>;
  static llvm::AnalysisKey Key;

  bool AllFunctions;

public:
  /// By default a function without allocation sites is analysed only where
  /// a site's decision needs its summary, or where remarks report it;
  /// \p AllFunctions analyses every function (print<escalloc>).
  explicit EscapeAnalysis(bool AllFunctions = false)
      : AllFunctions(AllFunctions) {}
  using Result = EscapeInfo;
  Result run(llvm::Module &M, llvm::ModuleAnalysisManager &AM);
};

/// print<escalloc>: the analysis as text, for FileCheck.
class EscapePrinterPass : public llvm::PassInfoMixin<EscapePrinterPass> {
  llvm::raw_ostream &OS;

public:
  explicit EscapePrinterPass(llvm::raw_ostream &OS) : OS(OS) {}
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &AM);
  static bool isRequired() { return true; }
};

/// Whether a call allocates (malloc, calloc, realloc, strdup, ...).
bool isAllocationCall(const llvm::CallBase &CB,
                      const llvm::TargetLibraryInfo &TLI);

/// "malloc(48)": the callee and its constant integer arguments.
std::string allocLabel(const llvm::CallBase &CB);

/// Go's words for a parameter summary: "leaking param: p", ...
std::string describeParam(const llvm::Argument &A, unsigned Flags);

/// The same with the parameter's name already known.
std::string describeParam(const llvm::Argument &A, unsigned Flags,
                          const std::string &Name);

/// The source name of an argument (debug info, then IR name, then "#N").
std::string paramName(const llvm::Argument &A);

/// paramName of every argument of \p F, in one walk over its body.
llvm::SmallVector<std::string, 4> paramNames(const llvm::Function &F);

/// Function metadata with the parameters' source names, left by the pre-link
/// half of an LTO compile for the link, whose LLVMContext discards IR names.
inline constexpr const char *ParamNamesMD = "escalloc.param.names";

/// Why the call \p CB of an allocation wrapper must not be inlined, or ""
/// when it may: the user's noinline/optnone, target features the caller
/// lacks (TTI::areInlineCompatible), a body that reads its own frame or
/// return address, then LLVM's own attribute-based decision and
/// isInlineViable.
std::string wrapperInlineBlocker(llvm::CallBase &CB,
                                 llvm::FunctionAnalysisManager &FAM);

/// The -escalloc-wrapper-size knob.
unsigned wrapperSizeLimit();

/// FunctionEscapeInfo::ReallocParam of \p F: the parameter it reallocates
/// when it is a realloc wrapper (at most -escalloc-wrapper-size
/// instructions, one realloc of that parameter, which is used nowhere
/// else, and whose result is only tested against null and returned, as
/// are only it and null); else -1.
int reallocWrapperParam(const llvm::Function &F,
                        const llvm::TargetLibraryInfo &TLI);

/// The -escalloc-explain knob.
bool explainEnabled();

} // namespace escalloc

#endif
