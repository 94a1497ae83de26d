//===- FunctionAnalyzer.h - the location graph of one function --*- C++ -*-===//
//
// Private to the analysis (EscapeAnalysis.h is the public result type).
// FunctionAnalyzer holds the location graph of one function: abstract
// objects, the points-to set of every SSA scalar and the contents of every
// object, solved by iterating the function's instructions to a fixed point
// (sets only grow).  Its members are defined by job:
//  - LocationGraph.cpp: the graph, the solver and ordinary instructions;
//  - EscapeCalls.cpp: calls (summaries, attributes, the C library);
//  - EscapeNames.cpp: object labels for remarks.
//
// Pointer bits, not pointer types.  Any scalar value (pointer, integer of
// any width, floating point) carries a points-to set: for a pointer, the
// objects it may point into; for an integer or a float, the objects whose
// address bits it may hold.  A load of any such type from memory that may
// hold pointer bits carries them (two i32 halves, a double, an i64 xor-ed
// with a key), and integer/float arithmetic and casts pass them on, so a
// store, return or call that publishes the value publishes the objects.
// Data is data only where no pointer bits can be in it: a load from a local
// object at bytes no pointer was stored to, a constant, the result of a
// compare (a compare yields one bit; bits rebuilt through compares and
// branches are a documented limit, see README.md).
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_FUNCTIONANALYZER_H
#define ESCALLOC_PASS_FUNCTIONANALYZER_H

#include "EscapeAnalysis.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Instructions.h"
#include <array>
#include <memory>
#include <optional>
#include <string>

namespace escalloc {

class ModelCall;

using llvm::CallBase;
using llvm::DataLayout;
using llvm::DenseMap;
using llvm::Function;
using llvm::function_ref;
using llvm::Instruction;
using llvm::LibFunc;
using llvm::ReturnInst;
using llvm::SmallSetVector;
using llvm::SmallVector;
using llvm::TargetLibraryInfo;
using llvm::Type;
using llvm::Value;

// Allocation and free calls (EscapeCalls.cpp).
std::optional<LibFunc> libFuncOf(const CallBase &CB,
                                 const TargetLibraryInfo &TLI);
Value *freedOperand(CallBase &CB, const TargetLibraryInfo &TLI);
Value *reallocatedOperand(CallBase &CB, const TargetLibraryInfo &TLI);

enum class ObjKind { External, Pointee, Content, Site, Stack, ParamBits };

using PtsSet = SmallSetVector<unsigned, 4>;

inline PtsSet one(unsigned X) {
  PtsSet S;
  S.insert(X);
  return S;
}

struct Obj {
  ObjKind Kind;
  unsigned ArgNo = 0;
  /// Content: 1 for the objects the pointers stored in the parameter's
  /// pointee point to, 2 for every level below (collapsed).
  unsigned Level = 0;
  int64_t BitsOffset = 0; ///< ParamBits: the bytes read, from the parameter
  uint64_t BitsSize = 0;
  Instruction *Def = nullptr;
  PtsSet Contents;
  DenseMap<unsigned, const Instruction *> StoredAt; // content -> first store
  /// Byte ranges where pointers were stored (for integer loads), unless a
  /// pointer was stored at an unknown offset.
  SmallVector<std::pair<int64_t, uint64_t>, 2> PtrRanges;
  bool PtrAtUnknownOffset = false;
  /// Pointee of a `byval` parameter: the callee's own copy (a local whose
  /// initial contents are the caller's), not memory the caller reaches.
  bool LocalCopy = false;
  /// Pointee of an `sret` parameter: what is stored into it is returned
  /// (to the caller's slot), not published.
  bool ResultSlot = false;
  bool Escaped = false;
  /// Stays on the heap (freed elsewhere), but what it holds does not escape.
  bool Pinned = false;
  bool ContentsEscape = false;
  Reason Why;
  const Instruction *At = nullptr;
  int Via = -1;
  bool Returned = false;
  /// Returned in an aggregate: bit K for leaf K of the result (AggLeaf).
  uint64_t RetLeaves = 0;
  bool Freed = false;
  bool IsWrapperCall = false;
  /// Through an allocation hook (AllocHooks.h): what it returns may also be
  /// the user's allocator's memory, external.
  bool IsHookCall = false;
  SmallVector<CallBase *, 2> Frees;
  /// A site: the reallocs of it alone (its growable buffer, one object).
  SmallVector<CallBase *, 2> Reallocs;
  /// A realloc whose argument is a site: its result is that site's buffer,
  /// not an allocation of its own.
  bool GrowsSite = false;
};

/// One scalar field of a first-class aggregate (a struct or array value),
/// flattened in order: its type and its byte offset in the aggregate.
struct AggLeaf {
  Type *Ty;
  uint64_t Offset;
};

/// Aggregates with more leaves are not tracked field by field.
constexpr unsigned MaxAggLeaves = 64;

/// Where a call's result goes: one points-to set, or, for an aggregate
/// result of a callee with a summary, one per leaf, routed by the callee's
/// ResultLeaves.
struct CallResult {
  explicit CallResult(PtsSet &Set) : Set(Set) {}
  PtsSet &Set;
  SmallVector<PtsSet, 2> Leaves;
  const FunctionEscapeInfo *Callee = nullptr;
  /// \p X reaches the result as what argument \p Arg's level \p Level
  /// (0: the pointee, 1: content, 2: deeper content, 3: data bits) returns.
  void add(unsigned Arg, unsigned Level, unsigned X) {
    if (Leaves.empty()) {
      Set.insert(X);
      return;
    }
    uint64_t Mask = Level < 3 && Arg < Callee->ResultLeaves.size()
                        ? Callee->ResultLeaves[Arg][Level]
                        : ~uint64_t(0);
    for (unsigned K = 0; K < Leaves.size(); ++K)
      if (Mask >> K & 1)
        Leaves[K].insert(X);
  }
};

using SummaryLookup =
    function_ref<const FunctionEscapeInfo *(const Function &)>;

class FunctionAnalyzer {
public:
  FunctionAnalyzer(Function &F, const TargetLibraryInfo &TLI,
                   SummaryLookup Summaries)
      : F(F), TLI(TLI), DL(F.getDataLayout()), Summaries(Summaries) {}

  void solve();
  SmallVector<unsigned, 4> paramSummary() const;
  SmallVector<ParamBitsFact, 2> paramBits() const;
  /// For a function returning a tracked aggregate: per argument, the leaves
  /// of the result its pointee, content and deeper content may be returned
  /// in (FunctionEscapeInfo::ResultLeaves); else empty.
  SmallVector<std::array<uint64_t, 3>, 4> resultLeaves() const;
  bool returnsTrackedAgg() const { return isTrackedAgg(F.getReturnType()); }

  /// Data read at a constant offset from a parameter gets an object of its
  /// own (ParamBits), summarised by offset; otherwise such reads count as
  /// the parameter's content.  Off in recursive SCCs, whose fixed point
  /// covers ParamSummary only.
  bool PreciseBits = true;

  /// Sites in program order.
  SmallVector<unsigned, 4> SiteIds;
  SmallVector<Obj, 16> Objs;
  DenseMap<const Value *, PtsSet> Pts;
  /// Aggregate values tracked field by field: a points-to set per leaf.
  DenseMap<const Value *, SmallVector<PtsSet, 2>> AggPts;
  bool CallsSetjmp = false;
  const Function *SetjmpCallee = nullptr;
  bool HasMustTail = false;
  /// Every returned pointer is one of the parameters.
  bool ReturnsOnlyParams = true;
  /// False when checking for an allocation wrapper: a returned site is
  /// flagged Returned instead of escaping.
  bool ReturnIsEscape = true;
  const Value *OpaqueCallee = nullptr;
  bool HasOpaqueCall = false;
  /// visitRealloc: a realloc of a pointer whose points-to set was empty
  /// waits for it (DeferredRealloc) until the solver has converged
  /// (SettleReallocs), so that visiting order does not make it an object of
  /// its own.
  bool DeferredRealloc = false;
  bool SettleReallocs = false;

  std::string objLabel(unsigned Id) const;
  PtsSet ptsOf(const Value *V) const;

private:
  Function &F;
  const TargetLibraryInfo &TLI;
  const DataLayout &DL;
  SummaryLookup Summaries;
  DenseMap<const Value *, unsigned> ObjOf;
  SmallVector<unsigned, 4> PointeeOf, ContentOf, Content2Of;
  /// The parameter content one load below param object \p X.
  unsigned contentBelow(unsigned X) const {
    const Obj &O = Objs[X];
    return O.Kind == ObjKind::Pointee ? ContentOf[O.ArgNo]
                                      : Content2Of[O.ArgNo];
  }
  SmallVector<unsigned, 4> BitsObjs;
  /// Filled on first use: only reasons and labels need the names.
  mutable SmallVector<std::string, 4> ParamNames;

  const std::string &argName(unsigned ArgNo) const {
    if (ParamNames.empty())
      ParamNames = paramNames(F);
    return ParamNames[ArgNo];
  }
  bool Changed = false;

  /// Aggregates (AggLeaf): the leaves of a struct or array type whose every
  /// scalar may carry bits (no vectors), at most MaxAggLeaves; else null.
  /// (Null for a type that is not tracked; stable addresses.)
  mutable DenseMap<Type *, std::unique_ptr<SmallVector<AggLeaf, 4>>>
      LeafCache;
  const SmallVector<AggLeaf, 4> *aggLeaves(Type *T) const;
  bool isTrackedAgg(Type *T) const { return aggLeaves(T) != nullptr; }
  unsigned leafCount(Type *T) const;
  /// The leaves [first, first + count) that indices \p Idxs select in \p T.
  std::pair<unsigned, unsigned> leafRange(Type *T,
                                          llvm::ArrayRef<unsigned> Idxs) const;
  PtsSet leafPts(const Value *V, unsigned K) const;
  void addLeafPts(const Value *V, unsigned K, const PtsSet &S);
  bool visitAggregate(Instruction &I);
  const FunctionEscapeInfo *calleeInfo(const CallBase &CB) const;
  /// Whether \p CB's aggregate result is tracked from its callee's summary.
  bool tracksCallResult(const CallBase &CB) const;

  unsigned newObj(ObjKind K, Instruction *Def = nullptr, unsigned Arg = 0) {
    Objs.push_back(Obj());
    Objs.back().Kind = K;
    Objs.back().Def = Def;
    Objs.back().ArgNo = Arg;
    return Objs.size() - 1;
  }
  bool ptrLike(Type *T) const {
    return T->isPointerTy() || T->isIntegerTy(DL.getPointerSizeInBits());
  }
  /// A scalar that may hold pointer bits (see the file comment).
  static bool carriesBits(Type *T) {
    return T->isPointerTy() || T->isIntegerTy() || T->isFloatingPointTy();
  }
  bool isExternalMem(unsigned X) const {
    const Obj &O = Objs[X];
    return O.Kind == ObjKind::External ||
           (O.Kind == ObjKind::Pointee && !O.LocalCopy && !O.ResultSlot) ||
           O.Kind == ObjKind::Content || O.Kind == ObjKind::ParamBits ||
           O.Escaped;
  }
  /// The parameter's own objects (Pointee, Content, ParamBits).
  bool isParamObj(unsigned X) const {
    ObjKind K = Objs[X].Kind;
    return K == ObjKind::Pointee || K == ObjKind::Content ||
           K == ObjKind::ParamBits;
  }
  int bitsObj(unsigned ArgNo, int64_t Off, uint64_t Size) const {
    for (unsigned X : BitsObjs)
      if (Objs[X].ArgNo == ArgNo && Objs[X].BitsOffset == Off &&
          Objs[X].BitsSize == Size)
        return X;
    return -1;
  }
  bool isLocal(unsigned X) const {
    return Objs[X].Kind == ObjKind::Site || Objs[X].Kind == ObjKind::Stack;
  }

  /// Sets a flag that only goes from false to true; setting it is a change
  /// (another round of the solve).
  void setFlag(bool &Flag) {
    if (!Flag)
      Changed = true;
    Flag = true;
  }
  void addPts(const Value *V, const PtsSet &S) {
    if (S.empty())
      return;
    PtsSet &D = Pts[V];
    for (unsigned X : S)
      Changed |= D.insert(X);
  }
  void markEscaped(unsigned X, const Reason &R, const Instruction *At, int Via);
  void pin(unsigned X, const Reason &R, const Instruction *At);
  void escapeContents(unsigned X, const Reason &R, const Instruction *At);
  void clobberContents(CallBase &CB, unsigned I, const PtsSet &S);
  void escapeAll(const PtsSet &S, const Reason &R, const Instruction *At,
                 bool SkipContent = false);
  void storeInto(unsigned X, const PtsSet &V, const Instruction *At,
                 std::optional<int64_t> Off, uint64_t Size);
  PtsSet loadFrom(unsigned X, bool IntLoad, std::optional<int64_t> Off,
                  uint64_t Size) const;
  /// Calls \p Fn on what loadFrom(X, false, std::nullopt, 0) returns, in its
  /// order (an object may come twice), without building the set: the
  /// solver's hot loops (reachableFrom) call it for every object they reach.
  template <typename FnT> void forEachLoaded(unsigned X, FnT Fn) const {
    const Obj &O = Objs[X];
    if (O.Kind == ObjKind::External) {
      Fn(0u);
      return;
    }
    if (isParamObj(X))
      Fn(contentBelow(X));
    if (O.Escaped)
      Fn(0u);
    for (unsigned Y : O.Contents)
      Fn(Y);
  }
  std::optional<int64_t> offsetInto(const Value *Ptr, unsigned X) const;
  Reason storeReason(unsigned X, const Value *Addr) const;

  bool isInert(const Instruction &I) const;
  static bool passesBits(const Instruction &I);
  const Value *addressBase(const Value *V, unsigned Depth, PtsSet &Idx) const;
  bool isPointerDifference(const Instruction &I, PtsSet &Idx) const;
  PtsSet reachableFrom(const PtsSet &S) const;
  void visitFormattedArg(CallBase &CB, unsigned I, bool Scan, unsigned FmtArg,
                         int Param, const PtsSet &S);
  PtsSet below(const Value *A, unsigned Depth) const;
  void visitCallByModel(CallBase &CB, const ModelCall &MC, PtsSet &Result);
  void storeThroughArgs(CallBase &CB, unsigned I, const PtsSet &S,
                        const std::string &ArgText);
  void visit(Instruction &I);
  void visitCall(CallBase &CB);
  void visitFree(CallBase &CB, Value *Freed);
  bool visitRealloc(CallBase &CB, Value *Old, PtsSet &Result);
  void visitArgByAttributes(CallBase &CB, unsigned I, PtsSet &Result);
  void visitArgBySummary(CallBase &CB, unsigned I, unsigned Flags,
                         const FunctionEscapeInfo &Callee, CallResult &Result);
  void visitReturn(ReturnInst &RI);
  /// \p X leaves through the result: returned as a scalar (Leaf -1), in
  /// leaf Leaf of an aggregate, or stored into the sret slot (Leaf -2).
  void returnObj(unsigned X, const Instruction *At, int Leaf);
};

} // namespace escalloc

#endif
