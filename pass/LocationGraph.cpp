//===- LocationGraph.cpp - the location graph and its solver --------------===//
//
// FunctionAnalyzer's location graph (FunctionAnalyzer.h): escaping,
// pinning, stores into and loads from abstract objects, the fixed-point
// solve over the function's instructions, the rules for every instruction
// but calls (EscapeCalls.cpp), returns and frees, and the parameter
// summaries read off the solved graph.
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "AllocHooks.h"
#include "LibCalls.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/raw_ostream.h"
#include <functional>

#define DEBUG_TYPE "escalloc"

using namespace llvm;

namespace escalloc {

PtsSet FunctionAnalyzer::ptsOf(const Value *V) const {
  PtsSet S;
  // An aggregate as a whole: every object any of its fields may point to.
  if (const SmallVector<AggLeaf, 4> *L = aggLeaves(V->getType())) {
    for (unsigned K = 0; K < L->size(); ++K)
      for (unsigned X : leafPts(V, K))
        S.insert(X);
    return S;
  }
  if (const auto *A = dyn_cast<Argument>(V)) {
    if (carriesBits(A->getType()))
      S.insert(PointeeOf[A->getArgNo()]);
    return S;
  }
  if (isa<ConstantPointerNull>(V) || isa<UndefValue>(V) ||
      isa<ConstantInt>(V) || isa<ConstantFP>(V) || isa<ConstantAggregateZero>(V))
    return S;
  if (isa<Constant>(V) || isa<InlineAsm>(V) || isa<MetadataAsValue>(V)) {
    if (carriesBits(V->getType()))
      S.insert(0);
    return S;
  }
  auto It = Pts.find(V);
  if (It != Pts.end())
    return It->second;
  return S;
}

//===----------------------------------------------------------------------===//
// Aggregates field by field.  A struct or array value ({ptr, ptr} returned in
// registers, a struct loaded or stored whole) has a points-to set per scalar
// leaf: insertvalue writes leaves, extractvalue reads them, a load or store
// moves each leaf at its own offset, and a return records which leaves of
// the result hold what (ResultLeaves in the summary).  An aggregate that is
// not tracked (a vector in it, too many leaves, a result of a call without a
// summary) is what it was before: its pointers were published where they
// went in, and what comes out is external.
//===----------------------------------------------------------------------===//

const SmallVector<AggLeaf, 4> *FunctionAnalyzer::aggLeaves(Type *T) const {
  if (!T->isStructTy() && !T->isArrayTy())
    return nullptr;
  if (auto It = LeafCache.find(T); It != LeafCache.end())
    return It->second.get();
  SmallVector<AggLeaf, 4> Leaves;
  bool OK = true;
  // Depth-first over the type, offsets from the DataLayout.
  std::function<void(Type *, uint64_t)> Walk = [&](Type *E, uint64_t Off) {
    if (!OK)
      return;
    if (auto *ST = dyn_cast<StructType>(E)) {
      if (!ST->isSized() || ST->isScalableTy()) {
        OK = false;
        return;
      }
      const StructLayout *SL = DL.getStructLayout(ST);
      for (unsigned K = 0; K < ST->getNumElements(); ++K)
        Walk(ST->getElementType(K), Off + SL->getElementOffset(K));
    } else if (auto *AT = dyn_cast<ArrayType>(E)) {
      uint64_t Step = DL.getTypeAllocSize(AT->getElementType());
      if (AT->getNumElements() > MaxAggLeaves) {
        OK = false;
        return;
      }
      for (uint64_t K = 0; K < AT->getNumElements(); ++K)
        Walk(AT->getElementType(), Off + K * Step);
    } else if (carriesBits(E)) {
      Leaves.push_back({E, Off});
      OK &= Leaves.size() <= MaxAggLeaves;
    } else {
      OK = false; // a vector, a label, a target type: not followed
    }
  };
  Walk(T, 0);
  std::unique_ptr<SmallVector<AggLeaf, 4>> &Slot = LeafCache[T];
  if (OK && !Leaves.empty())
    Slot = std::make_unique<SmallVector<AggLeaf, 4>>(std::move(Leaves));
  return Slot.get();
}

unsigned FunctionAnalyzer::leafCount(Type *T) const {
  if (!T->isAggregateType())
    return 1;
  const SmallVector<AggLeaf, 4> *L = aggLeaves(T);
  return L ? L->size() : 0; // an empty struct inside a tracked one
}

std::pair<unsigned, unsigned>
FunctionAnalyzer::leafRange(Type *T, ArrayRef<unsigned> Idxs) const {
  unsigned First = 0;
  for (unsigned Idx : Idxs) {
    if (auto *ST = dyn_cast<StructType>(T)) {
      for (unsigned K = 0; K < Idx; ++K)
        First += leafCount(ST->getElementType(K));
      T = ST->getElementType(Idx);
    } else {
      T = cast<ArrayType>(T)->getElementType();
      First += Idx * leafCount(T);
    }
  }
  return {First, leafCount(T)};
}

/// The scalar constant at leaf \p K of constant aggregate \p C, or null.
static const Constant *leafConstant(const Constant *C, unsigned K,
                                    function_ref<unsigned(Type *)> Count) {
  while (C->getType()->isAggregateType()) {
    unsigned N = C->getType()->isStructTy()
                     ? C->getType()->getStructNumElements()
                     : C->getType()->getArrayNumElements();
    const Constant *Next = nullptr;
    for (unsigned I = 0; I < N && !Next; ++I) {
      const Constant *E = C->getAggregateElement(I);
      if (!E)
        return nullptr;
      unsigned L = Count(E->getType());
      if (K < L)
        Next = E;
      else
        K -= L;
    }
    if (!Next)
      return nullptr;
    C = Next;
  }
  return C;
}

PtsSet FunctionAnalyzer::leafPts(const Value *V, unsigned K) const {
  const SmallVector<AggLeaf, 4> &L = *aggLeaves(V->getType());
  if (isa<UndefValue>(V) || isa<ConstantAggregateZero>(V))
    return PtsSet();
  if (const auto *C = dyn_cast<Constant>(V)) {
    const Constant *E =
        leafConstant(C, K, [&](Type *T) { return leafCount(T); });
    return E ? ptsOf(E) : one(0);
  }
  bool Tracked = isa<InsertValueInst>(V) || isa<ExtractValueInst>(V) ||
                 isa<PHINode>(V) || isa<SelectInst>(V) ||
                 isa<FreezeInst>(V) || isa<LoadInst>(V);
  if (const auto *CB = dyn_cast<CallBase>(V))
    Tracked = tracksCallResult(*CB);
  if (!Tracked)
    return ptrLike(L[K].Ty) ? one(0) : PtsSet();
  auto It = AggPts.find(V);
  if (It == AggPts.end() || K >= It->second.size())
    return PtsSet();
  return It->second[K];
}

void FunctionAnalyzer::addLeafPts(const Value *V, unsigned K,
                                  const PtsSet &S) {
  if (S.empty())
    return;
  SmallVector<PtsSet, 2> &D = AggPts[V];
  if (D.size() <= K)
    D.resize(aggLeaves(V->getType())->size());
  for (unsigned X : S)
    Changed |= D[K].insert(X);
}

const FunctionEscapeInfo *
FunctionAnalyzer::calleeInfo(const CallBase &CB) const {
  // An available_externally body (imported by ThinLTO) is equivalent to the
  // definition the linker will use, so its summary holds too.
  const Function *Callee = CB.getCalledFunction();
  return Callee && (Callee->hasExactDefinition() ||
                    Callee->hasAvailableExternallyLinkage())
             ? Summaries(*Callee)
             : nullptr;
}

bool FunctionAnalyzer::tracksCallResult(const CallBase &CB) const {
  const FunctionEscapeInfo *CI = calleeInfo(CB);
  return CI && isTrackedAgg(CB.getType()) &&
         CB.getCalledFunction()->getFunctionType() == CB.getFunctionType() &&
         CI->ResultLeaves.size() == CB.arg_size();
}

/// The instructions that build, take apart, merge, load and store tracked
/// aggregates.  Returns false for anything else (visit() goes on).
bool FunctionAnalyzer::visitAggregate(Instruction &I) {
  switch (I.getOpcode()) {
  case Instruction::InsertValue: {
    auto &IV = cast<InsertValueInst>(I);
    if (!isTrackedAgg(IV.getType()))
      return false;
    auto [First, N] = leafRange(IV.getType(), IV.getIndices());
    Value *Elt = IV.getInsertedValueOperand();
    for (unsigned K = 0, E = aggLeaves(IV.getType())->size(); K < E; ++K) {
      if (K < First || K >= First + N)
        addLeafPts(&I, K, leafPts(IV.getAggregateOperand(), K));
      else if (Elt->getType()->isAggregateType())
        addLeafPts(&I, K, leafPts(Elt, K - First));
      else
        addLeafPts(&I, K, ptsOf(Elt));
    }
    return true;
  }
  case Instruction::ExtractValue: {
    auto &EV = cast<ExtractValueInst>(I);
    Value *Agg = EV.getAggregateOperand();
    if (!isTrackedAgg(Agg->getType()))
      return false;
    auto [First, N] = leafRange(Agg->getType(), EV.getIndices());
    if (EV.getType()->isAggregateType())
      for (unsigned K = 0; K < N; ++K)
        addLeafPts(&I, K, leafPts(Agg, First + K));
    else
      addPts(&I, leafPts(Agg, First));
    return true;
  }
  case Instruction::PHI:
  case Instruction::Select:
  case Instruction::Freeze: {
    const SmallVector<AggLeaf, 4> *L = aggLeaves(I.getType());
    if (!L)
      return false;
    for (unsigned Op = isa<SelectInst>(I) ? 1 : 0; Op < I.getNumOperands();
         ++Op)
      for (unsigned K = 0; K < L->size(); ++K)
        addLeafPts(&I, K, leafPts(I.getOperand(Op), K));
    return true;
  }
  case Instruction::Load: {
    auto &LI = cast<LoadInst>(I);
    const SmallVector<AggLeaf, 4> *L = aggLeaves(LI.getType());
    if (!L)
      return false;
    // Each field as a scalar load at its offset.
    for (unsigned X : ptsOf(LI.getPointerOperand())) {
      std::optional<int64_t> Off = offsetInto(LI.getPointerOperand(), X);
      for (unsigned K = 0; K < L->size(); ++K) {
        const AggLeaf &A = (*L)[K];
        addLeafPts(&I, K,
                   loadFrom(X, !A.Ty->isPointerTy(),
                            Off ? std::optional<int64_t>(*Off + A.Offset)
                                : std::nullopt,
                            DL.getTypeStoreSize(A.Ty)));
      }
    }
    return true;
  }
  case Instruction::Store: {
    auto &SI = cast<StoreInst>(I);
    Value *V = SI.getValueOperand();
    const SmallVector<AggLeaf, 4> *L = aggLeaves(V->getType());
    if (!L)
      return false;
    for (unsigned K = 0; K < L->size(); ++K) {
      PtsSet Val = leafPts(V, K);
      if (Val.empty())
        continue;
      const AggLeaf &A = (*L)[K];
      for (unsigned X : ptsOf(SI.getPointerOperand())) {
        std::optional<int64_t> Off = offsetInto(SI.getPointerOperand(), X);
        storeInto(X, Val, &I,
                  Off ? std::optional<int64_t>(*Off + A.Offset) : std::nullopt,
                  DL.getTypeStoreSize(A.Ty));
      }
    }
    return true;
  }
  default:
    return false;
  }
}

void FunctionAnalyzer::markEscaped(unsigned X, const Reason &R,
                                   const Instruction *At, int Via) {
  struct Step {
    unsigned X;
    Reason R;
    const Instruction *At;
    int Via;
  };
  // Nothing to do (and no reason to copy) for an object already out.
  auto IsOut = [&](unsigned Y) {
    return Objs[Y].Kind == ObjKind::External || Objs[Y].Escaped;
  };
  if (IsOut(X))
    return;
  // A worklist, not recursion: chains of objects can be long.
  SmallVector<Step, 8> Work;
  Work.push_back({X, R, At, Via});
  while (!Work.empty()) {
    Step S = Work.pop_back_val();
    if (IsOut(S.X))
      continue;
    Obj &O = Objs[S.X];
    O.Escaped = true;
    O.Why = S.R;
    O.At = S.At;
    O.Via = S.Via;
    Changed = true;
    LLVM_DEBUG(dbgs() << "escalloc: " << objLabel(S.X)
                      << " escapes: " << S.R.str() << "\n");
    // Whatever it holds is now reachable from outside too.
    for (unsigned Y : O.Contents)
      if (!IsOut(Y))
        Work.push_back({Y, Reason{"stored into an escaping object"},
                        O.StoredAt.lookup(Y), (int)S.X});
  }
}

void FunctionAnalyzer::pin(unsigned X, const Reason &R,
                           const Instruction *At) {
  Obj &O = Objs[X];
  if (O.Kind != ObjKind::Site || O.Escaped || O.Pinned)
    return;
  O.Pinned = true;
  O.Why = R;
  O.At = At;
  Changed = true;
}

void FunctionAnalyzer::escapeContents(unsigned X, const Reason &R,
                                      const Instruction *At) {
  Obj &O = Objs[X];
  if (O.Kind == ObjKind::External)
    return;
  setFlag(O.ContentsEscape);
  PtsSet C = O.Contents;
  for (unsigned Y : C)
    markEscaped(Y, R, At, X);
  if (isParamObj(X))
    markEscaped(contentBelow(X), R, At, X);
}

/// A callee that may write through argument I may leave pointers we do not
/// know in the objects it points to, and in the objects reachable from them:
/// a free of a pointer loaded from them later must not be taken for a free
/// of one of ours.
void FunctionAnalyzer::clobberContents(CallBase &CB, unsigned I,
                                       const PtsSet &S) {
  if (CB.onlyReadsMemory())
    return;
  // At every depth: a callee may write o->in->data as well as o->in, also
  // where `readonly` says it does not write o itself.  Only argument memory
  // (memory based on the arguments) rules the deeper levels out.
  PtsSet All;
  if (!CB.onlyAccessesArgMemory())
    All = reachableFrom(S);
  if (!CB.onlyReadsMemory(I))
    for (unsigned X : S)
      All.insert(X);
  for (unsigned X : All)
    if (isLocal(X) && Objs[X].Contents.insert(0))
      Changed = true;
  // What another function may write into our sret slot is returned: our
  // caller cannot know it.
  for (unsigned X : All)
    if (Objs[X].ResultSlot)
      storeInto(X, one(0), &CB, std::nullopt, 0);
}

void FunctionAnalyzer::escapeAll(const PtsSet &S, const Reason &R,
                                 const Instruction *At, bool SkipContent) {
  for (unsigned X : S)
    if (!SkipContent || Objs[X].Kind != ObjKind::Content)
      markEscaped(X, R, At, -1);
}

Reason FunctionAnalyzer::storeReason(unsigned X, const Value *Addr) const {
  const Obj &O = Objs[X];
  switch (O.Kind) {
  case ObjKind::External:
    if (Addr)
      if (const auto *GV =
              dyn_cast<GlobalVariable>(getUnderlyingObject(Addr)))
        return Reason{"stored to global @", GV};
    return Reason{"stored into memory the analysis cannot follow"};
  case ObjKind::Pointee:
    return Reason{"stored through parameter " + argName(O.ArgNo)};
  case ObjKind::Content:
  case ObjKind::ParamBits:
    return Reason{"stored into memory reached from parameter " +
                  argName(O.ArgNo)};
  default:
    return Reason{"stored into an escaping object"};
  }
}

std::optional<int64_t> FunctionAnalyzer::offsetInto(const Value *Ptr,
                                                    unsigned X) const {
  const Value *Def = Objs[X].Def;
  if (Objs[X].Kind == ObjKind::Pointee)
    Def = F.getArg(Objs[X].ArgNo);
  else if (!isLocal(X))
    return std::nullopt;
  APInt Off(DL.getIndexTypeSizeInBits(Ptr->getType()), 0);
  const Value *Base =
      Ptr->stripAndAccumulateConstantOffsets(DL, Off, /*AllowNonInbounds=*/true);
  if (Base != Def)
    return std::nullopt;
  return Off.getSExtValue();
}

void FunctionAnalyzer::storeInto(unsigned X, const PtsSet &V,
                                 const Instruction *At,
                                 std::optional<int64_t> Off, uint64_t Size) {
  Obj &O = Objs[X];
  bool Tracked = false;
  for (unsigned Y : V) {
    if (Objs[X].Contents.insert(Y)) {
      Changed = true;
      Objs[X].StoredAt.try_emplace(Y, At);
    }
    Tracked |= Y != 0;
  }
  if (Tracked) {
    if (!Off) {
      setFlag(O.PtrAtUnknownOffset);
    } else if (!is_contained(O.PtrRanges, std::make_pair(*Off, Size))) {
      O.PtrRanges.push_back({*Off, Size});
      Changed = true;
    }
  }
  // Stored into the sret slot: returned to the caller, whose summary
  // reading puts it into its own slot (EscapeCalls.cpp).
  if (O.ResultSlot && !O.Escaped)
    for (unsigned Y : V)
      returnObj(Y, At, -2);
  // The reason is only worth its strings where something escapes anew.
  bool Publishes = any_of(V, [&](unsigned Y) {
    return Objs[Y].Kind != ObjKind::External && !Objs[Y].Escaped;
  });
  if (Publishes && (isExternalMem(X) || Objs[X].ContentsEscape)) {
    Reason R = isExternalMem(X)
                   ? storeReason(X, At ? getLoadStorePointerOperand(At)
                                       : nullptr)
                   : Reason{"stored into an object whose contents escape"};
    for (unsigned Y : V)
      markEscaped(Y, R, At, X);
  }
}

PtsSet FunctionAnalyzer::loadFrom(unsigned X, bool IntLoad,
                                  std::optional<int64_t> Off,
                                  uint64_t Size) const {
  const Obj &O = Objs[X];
  PtsSet R;
  if (O.Kind == ObjKind::External) {
    R.insert(0);
    return R;
  }
  if (O.Kind == ObjKind::Pointee && IntLoad && Off) {
    // Data read at a constant offset: its own object, summarised by offset.
    int B = bitsObj(O.ArgNo, *Off, Size);
    if (B >= 0) {
      R.insert(B);
      if (O.Escaped)
        R.insert(0);
      // A byval copy or an sret slot also holds what this function stored
      // into it (elsewhere such a store publishes).
      if (O.LocalCopy || O.ResultSlot)
        for (unsigned Y : O.Contents)
          if (Y != contentBelow(X))
            R.insert(Y);
      return R;
    }
  }
  if (isParamObj(X))
    R.insert(contentBelow(X));
  if (O.Escaped)
    R.insert(0);
  if (IntLoad && Off && !O.PtrAtUnknownOffset && isLocal(X)) {
    bool Overlaps = false;
    for (auto [S, N] : O.PtrRanges)
      Overlaps |= *Off < S + (int64_t)N && S < *Off + (int64_t)Size;
    if (!Overlaps)
      return R;
  }
  for (unsigned Y : O.Contents)
    R.insert(Y);
  return R;
}

void FunctionAnalyzer::solve() {
  Objs.clear();
  DeferredRealloc = SettleReallocs = false;
  newObj(ObjKind::External);
  Objs[0].Contents.insert(0);
  PointeeOf.assign(F.arg_size(), 0);
  ContentOf.assign(F.arg_size(), 0);
  Content2Of.assign(F.arg_size(), 0);
  // Integer and float parameters get objects too: the caller may pass a
  // pointer's bits (a union passed by value is an i64).
  for (Argument &A : F.args()) {
    if (!carriesBits(A.getType()))
      continue;
    unsigned P = newObj(ObjKind::Pointee, nullptr, A.getArgNo());
    unsigned C = newObj(ObjKind::Content, nullptr, A.getArgNo());
    unsigned C2 = newObj(ObjKind::Content, nullptr, A.getArgNo());
    Objs[C].Level = 1;
    Objs[C2].Level = 2;
    Objs[P].LocalCopy = A.hasByValAttr();
    Objs[P].ResultSlot = A.hasStructRetAttr();
    PointeeOf[A.getArgNo()] = P;
    ContentOf[A.getArgNo()] = C;
    Content2Of[A.getArgNo()] = C2;
    Objs[P].Contents.insert(C);
    Objs[C].Contents.insert(C2);
    Objs[C2].Contents.insert(C2);
  }
  BitsObjs.clear();
  for (BasicBlock &BB : F)
    for (Instruction &I : BB) {
      if (auto *LI = dyn_cast<LoadInst>(&I); LI && PreciseBits) {
        Type *T = LI->getType();
        const Value *Ptr = LI->getPointerOperand();
        APInt Off(DL.getIndexTypeSizeInBits(Ptr->getType()), 0);
        const auto *A = dyn_cast<Argument>(Ptr->stripAndAccumulateConstantOffsets(
            DL, Off, /*AllowNonInbounds=*/true));
        if (A && A->getParent() == &F && A->getType()->isPointerTy() &&
            carriesBits(T) && !T->isPointerTy()) {
          uint64_t Size = DL.getTypeStoreSize(T).getKnownMinValue();
          if (bitsObj(A->getArgNo(), Off.getSExtValue(), Size) < 0) {
            unsigned B = newObj(ObjKind::ParamBits, nullptr, A->getArgNo());
            Objs[B].BitsOffset = Off.getSExtValue();
            Objs[B].BitsSize = Size;
            BitsObjs.push_back(B);
          }
        }
      }
      if (isa<AllocaInst>(I)) {
        ObjOf[&I] = newObj(ObjKind::Stack, &I);
      } else if (auto *CB = dyn_cast<CallBase>(&I)) {
        const FunctionEscapeInfo *CI =
            CB->getCalledFunction() ? Summaries(*CB->getCalledFunction())
                                    : nullptr;
        bool Hook = !isAllocationCall(*CB, TLI) && allocHook(*CB, TLI);
        if (isAllocationCall(*CB, TLI) || Hook ||
            (CI && (CI->IsAllocWrapper || CI->DestSite))) {
          ObjOf[&I] = newObj(ObjKind::Site, &I);
          Objs.back().IsWrapperCall = !isAllocationCall(*CB, TLI) && !Hook;
          // A function that returns what a hook allocated (DestPassing.h)
          // returns what the hook does: maybe the user's allocator's memory.
          Objs.back().IsHookCall =
              Hook || (Objs.back().IsWrapperCall && CI->DestSite &&
                       CI->DestThroughHook);
          // A wrapper's object holds what the wrapper stored into it:
          // pointers this function cannot see (a load from it may reach
          // anything), at any offset.
          if (Objs.back().IsWrapperCall) {
            Objs.back().Contents.insert(0);
            Objs.back().PtrAtUnknownOffset = true;
          }
          SiteIds.push_back(ObjOf[&I]);
        }
        if (CB->isMustTailCall())
          HasMustTail = true;
        const Function *Callee = CB->getCalledFunction();
        if (CB->hasFnAttr(Attribute::ReturnsTwice) ||
            (Callee && Callee->hasFnAttribute(Attribute::ReturnsTwice))) {
          CallsSetjmp = true;
          SetjmpCallee = Callee;
        }
        // Code outside the module may call back into it: an indirect call,
        // a declaration that is neither a C library function nor marked
        // nocallback, or any call handed one of our functions (qsort's
        // comparator, a thread's start routine).
        bool PassesFunction = Callee && Callee->isDeclaration() &&
                              any_of(CB->args(), [](const Use &U) {
                                return isa<Function>(U->stripPointerCasts());
                              });
        if (!HasOpaqueCall && !isa<IntrinsicInst>(CB) && !CB->isInlineAsm() &&
            (PassesFunction ||
             (!CB->hasFnAttr(Attribute::NoCallback) &&
              (!Callee ||
               (Callee->isDeclaration() && !LibCall::get(*CB, TLI) &&
                !ModelCall::get(*CB)))))) {
          HasOpaqueCall = true;
          OpaqueCallee = Callee;
        }
      }
    }

  // Chaotic iteration: every rule only adds to sets or sets flags.  The
  // instructions visit() ignores whatever the sets hold (integer arithmetic,
  // compares, branches) are left out of the rounds; the order of the rest is
  // kept, so the first reason found for an escape stays the same.
  SmallVector<Instruction *, 0> Active;
  for (BasicBlock &BB : F)
    for (Instruction &I : BB)
      if (!isInert(I))
        Active.push_back(&I);
  auto Rounds = [&] {
    do {
      Changed = false;
      for (Instruction *I : Active)
        visit(*I);
    } while (Changed);
  };
  Rounds();
  // A realloc whose pointer was still unknown when first visited (a loop's
  // value, defined later in the layout) waited for it; one that is still
  // unknown now reallocates no object of ours: a fresh object (visitRealloc).
  if (DeferredRealloc) {
    SettleReallocs = true;
    Rounds();
  }
}

/// Integer and float arithmetic and the casts between them: the result may
/// hold any bit of any operand.  Compares are left out (one bit each; see
/// FunctionAnalyzer.h).
bool FunctionAnalyzer::passesBits(const Instruction &I) {
  if (isa<BinaryOperator>(I) || isa<UnaryOperator>(I))
    return true;
  switch (I.getOpcode()) {
  case Instruction::Trunc:
  case Instruction::ZExt:
  case Instruction::SExt:
  case Instruction::FPTrunc:
  case Instruction::FPExt:
  case Instruction::FPToUI:
  case Instruction::FPToSI:
  case Instruction::UIToFP:
  case Instruction::SIToFP:
    return true;
  default:
    return false;
  }
}

/// Every object reachable from \p S by loading, at any depth (the objects of
/// S themselves only where they are reachable from one of them).
PtsSet FunctionAnalyzer::reachableFrom(const PtsSet &S) const {
  PtsSet R;
  SmallVector<unsigned, 8> Work(S.begin(), S.end());
  while (!Work.empty()) {
    unsigned X = Work.pop_back_val();
    forEachLoaded(X, [&](unsigned Y) {
      if (R.insert(Y))
        Work.push_back(Y);
    });
  }
  return R;
}

/// True when visit(I) does nothing, whatever the points-to sets hold.  It
/// mirrors visit(): a case added there must be kept here (or left out, which
/// is always safe).
bool FunctionAnalyzer::isInert(const Instruction &I) const {
  Type *T = I.getType();
  // Tracked aggregates move leaves (visitAggregate), also where no scalar is
  // involved; so do their stores and returns.
  if (isTrackedAgg(T))
    return false;
  if (const auto *SI = dyn_cast<StoreInst>(&I);
      SI && isTrackedAgg(SI->getValueOperand()->getType()))
    return false;
  if (const auto *RI = dyn_cast<ReturnInst>(&I); RI && RI->getReturnValue() &&
                                                 isTrackedAgg(RI->getReturnValue()->getType()))
    return false;
  if (passesBits(I))
    return !carriesBits(T);
  switch (I.getOpcode()) {
  case Instruction::Load:
    return false; // scalars carry bits; vectors and aggregates publish
  case Instruction::Store:
    return !carriesBits(cast<StoreInst>(I).getValueOperand()->getType());
  case Instruction::GetElementPtr:
  case Instruction::BitCast:
  case Instruction::AddrSpaceCast:
  case Instruction::PHI:
  case Instruction::Select:
  case Instruction::Freeze:
  case Instruction::ExtractValue:
  case Instruction::ExtractElement:
    return !T->isVectorTy() && !carriesBits(T);
  case Instruction::ICmp:
  case Instruction::Br:
  case Instruction::Switch:
  case Instruction::Unreachable:
  case Instruction::Fence:
    return true;
  case Instruction::Ret: {
    const Value *V = cast<ReturnInst>(I).getReturnValue();
    return !V || !carriesBits(V->getType());
  }
  case Instruction::Call:
    return isa<DbgInfoIntrinsic>(I);
  case Instruction::Alloca:
  case Instruction::PtrToInt:
  case Instruction::IntToPtr:
  case Instruction::VAArg:
  case Instruction::Invoke:
  case Instruction::CallBr:
  case Instruction::AtomicRMW:
  case Instruction::AtomicCmpXchg:
  case Instruction::InsertValue:
  case Instruction::InsertElement:
  case Instruction::ShuffleVector:
    return false;
  default:
    // visit()'s default: publishes pointer, vector and aggregate operands.
    return !(ptrLike(T) && T->isPointerTy()) &&
           none_of(I.operands(), [](const Use &U) {
             Type *OT = U->getType();
             return OT->isPointerTy() || OT->isVectorTy() ||
                    OT->isAggregateType();
           });
  }
}

/// A pointer in a strto* function's endptr points into its first argument.
static bool isEndPointerCall(const CallBase &CB, unsigned EndArg) {
  std::optional<ModelCall> MC = ModelCall::get(CB);
  if (!MC || MC->model().Flows.size() != 1)
    return false;
  const OutputModel::Flow &F = MC->model().Flows.front();
  return F.From == 0 && F.FromDepth == 0 && F.Into == 1 && F.IntoDepth == 0 &&
         !MC->model().Fresh && MC->argOf(1) == EndArg;
}

/// \p B executes at most once per call of its function: no path leads from
/// its block back to it (a walk of the function's blocks, linear; LLVM's
/// isPotentiallyReachable gives up after 32 blocks, and cJSON's parse_value
/// under LTO has hundreds).
static bool outsideCycles(const Value *B) {
  const auto *I = dyn_cast<Instruction>(B);
  if (!I)
    return isa<Argument>(B);
  const BasicBlock *Home = I->getParent();
  SmallVector<const BasicBlock *, 16> Work(succ_begin(Home), succ_end(Home));
  SmallPtrSet<const BasicBlock *, 32> Seen;
  while (!Work.empty()) {
    const BasicBlock *BB = Work.pop_back_val();
    if (BB == Home)
      return false;
    if (Seen.insert(BB).second)
      append_range(Work, successors(BB));
  }
  return true;
}

/// The value \p V is an address inside of, the same run-time value on every
/// path: \p V itself, a constant or data offset from it, or a load from a
/// local slot whose every store holds such an address (strtod's endptr),
/// where the base executes once.  Null where not known.
const Value *FunctionAnalyzer::addressBase(const Value *V, unsigned Depth,
                                           PtsSet &Idx) const {
  if (Depth > 4)
    return nullptr;
  V = V->stripPointerCasts();
  if (const auto *GEP = dyn_cast<GEPOperator>(V)) {
    // The difference is the indices' sum: it carries their bits
    // (`p + (0 - (intptr_t)p)`).
    for (const Use &U : GEP->indices())
      for (unsigned X : ptsOf(U.get()))
        Idx.insert(X);
    return addressBase(GEP->getPointerOperand(), Depth + 1, Idx);
  }
  const auto *L = dyn_cast<LoadInst>(V);
  if (!L)
    return V;
  const auto *Slot = dyn_cast<AllocaInst>(L->getPointerOperand());
  if (!L->isSimple() || !Slot)
    return nullptr;
  // Every write of the slot is a store to it or a strto* end pointer: it
  // is written nowhere else.
  const Value *Base = nullptr;
  bool AllAgree = true;
  auto Agree = [&](const Value *W) {
    const Value *B = W ? addressBase(W, Depth + 1, Idx) : nullptr;
    if (!B || (Base && B != Base))
      return AllAgree = false;
    Base = B;
    return true;
  };
  for (const Use &U : Slot->uses()) {
    const auto *I = cast<Instruction>(U.getUser());
    if (isa<LoadInst>(I) || I->isLifetimeStartOrEnd() ||
        isa<DbgInfoIntrinsic>(I))
      continue;
    if (const auto *SI = dyn_cast<StoreInst>(I)) {
      if (U.getOperandNo() != SI->getPointerOperandIndex() || !SI->isSimple() ||
          !SI->getValueOperand()->getType()->isPointerTy())
        return nullptr;
      Agree(SI->getValueOperand());
      continue;
    }
    const auto *CB = dyn_cast<CallBase>(I);
    if (!CB || !isEndPointerCall(*CB, U.getOperandNo()))
      return nullptr;
    Agree(CB->getArgOperand(0));
  }
  // The write just before the load in its block decides (`end = NULL;
  // strtod(s, &end); end - s`).
  for (const Instruction *I = L->getPrevNode(); I; I = I->getPrevNode()) {
    if (!is_contained(I->operands(), Slot) || isa<LoadInst>(I) ||
        isa<DbgInfoIntrinsic>(I))
      continue;
    const auto *CB = dyn_cast<CallBase>(I);
    if (CB && CB->getArgOperand(1) == Slot && isEndPointerCall(*CB, 1) &&
        CB->getArgOperand(0) != Slot) {
      const Value *B = addressBase(CB->getArgOperand(0), Depth + 1, Idx);
      return B && outsideCycles(B) ? B : nullptr;
    }
    if (const auto *SI = dyn_cast<StoreInst>(I)) {
      const Value *B = addressBase(SI->getValueOperand(), Depth + 1, Idx);
      return B && outsideCycles(B) ? B : nullptr;
    }
    break; // a lifetime marker: the slot holds nothing yet
  }
  return AllAgree && Base && outsideCycles(Base) ? Base : nullptr;
}

/// `(intptr_t)p - (intptr_t)q` of two addresses inside one object (the
/// same base value, see addressBase) is the difference of their offsets: it
/// carries the bits of their indices (\p Idx), none of the object's.
bool FunctionAnalyzer::isPointerDifference(const Instruction &I,
                                           PtsSet &Idx) const {
  if (I.getOpcode() != Instruction::Sub)
    return false;
  const auto *A = dyn_cast<PtrToIntOperator>(I.getOperand(0));
  const auto *B = dyn_cast<PtrToIntOperator>(I.getOperand(1));
  if (!A || !B)
    return false;
  const Value *BA = addressBase(A->getPointerOperand(), 0, Idx);
  return BA && BA == addressBase(B->getPointerOperand(), 0, Idx);
}

void FunctionAnalyzer::visit(Instruction &I) {
  if (PtsSet Idx; isPointerDifference(I, Idx)) {
    if (!Idx.empty())
      addPts(&I, Idx);
    return;
  }
  if (passesBits(I)) {
    if (carriesBits(I.getType()))
      for (Value *Op : I.operands())
        addPts(&I, ptsOf(Op));
    return;
  }
  if (visitAggregate(I))
    return;
  switch (I.getOpcode()) {
  case Instruction::Alloca:
    addPts(&I, one(ObjOf.lookup(&I)));
    return;
  case Instruction::Load: {
    auto &LI = cast<LoadInst>(I);
    Type *T = LI.getType();
    uint64_t Size = DL.getTypeStoreSize(T).getKnownMinValue();
    PtsSet Addr = ptsOf(LI.getPointerOperand());
    if (carriesBits(T)) {
      // Whatever its type and width, a value loaded from memory that may
      // hold pointer bits carries them; from a local object, only where its
      // bytes overlap a stored pointer (or its bits).
      PtsSet R;
      for (unsigned X : Addr)
        for (unsigned Y :
             loadFrom(X, !T->isPointerTy(),
                      offsetInto(LI.getPointerOperand(), X), Size))
          R.insert(Y);
      addPts(&I, R);
    } else {
      // A vector or an aggregate: pointer bits in it are not followed.
      for (unsigned X : Addr) {
        const Obj &O = Objs[X];
        if (O.Kind == ObjKind::Pointee || O.Kind == ObjKind::Content)
          escapeContents(X, Reason{"read as non-pointer data"}, &I);
        else if (isLocal(X) && (O.PtrAtUnknownOffset || !O.PtrRanges.empty()))
          escapeContents(X, Reason{"read as non-pointer data"}, &I);
      }
    }
    return;
  }
  case Instruction::Store: {
    auto &SI = cast<StoreInst>(I);
    Value *V = SI.getValueOperand();
    if (!carriesBits(V->getType()))
      return;
    PtsSet Val = ptsOf(V);
    if (Val.empty())
      return;
    if (SI.isAtomic())
      escapeAll(Val, Reason{"stored atomically"}, &I);
    uint64_t Size = DL.getTypeStoreSize(V->getType());
    for (unsigned X : ptsOf(SI.getPointerOperand()))
      storeInto(X, Val, &I, offsetInto(SI.getPointerOperand(), X), Size);
    return;
  }
  case Instruction::GetElementPtr:
  case Instruction::BitCast:
  case Instruction::AddrSpaceCast:
  case Instruction::PHI:
  case Instruction::Select:
  case Instruction::Freeze: {
    if (I.getType()->isVectorTy()) {
      for (Value *Op : I.operands())
        escapeAll(ptsOf(Op), Reason{"used as a vector of pointers"}, &I, true);
      addPts(&I, one(0));
      return;
    }
    if (!carriesBits(I.getType()))
      return;
    if (auto *GEP = dyn_cast<GetElementPtrInst>(&I)) {
      addPts(&I, ptsOf(GEP->getPointerOperand()));
      // An index holding pointer bits builds a pointer from them
      // (`(char *)0 + bits`).
      PtsSet Idx;
      for (const Use &U : GEP->indices())
        for (unsigned X : ptsOf(U.get()))
          Idx.insert(X);
      if (!Idx.empty()) {
        Idx.insert(0);
        addPts(&I, Idx);
      }
      return;
    }
    // A select's condition is a bit of data only for a non-pointer result.
    unsigned First =
        isa<SelectInst>(I) && I.getType()->isPointerTy() ? 1 : 0;
    for (unsigned K = First; K < I.getNumOperands(); ++K)
      if (carriesBits(I.getOperand(K)->getType()))
        addPts(&I, ptsOf(I.getOperand(K)));
    return;
  }
  case Instruction::PtrToInt:
    // The integer carries the pointer's bits (provenance): it publishes the
    // object only where it is stored, returned or passed on as such, like
    // any other value carrying them; an alignment test or a compare keeps
    // it local.  A vector of addresses is not followed.
    if (!carriesBits(I.getType())) {
      escapeAll(ptsOf(I.getOperand(0)),
                Reason{"address taken as a vector of integers"}, &I);
      return;
    }
    addPts(&I, ptsOf(I.getOperand(0)));
    return;
  case Instruction::IntToPtr: {
    PtsSet S = ptsOf(I.getOperand(0));
    S.insert(0);
    addPts(&I, S);
    return;
  }
  case Instruction::ICmp:
  case Instruction::Br:
  case Instruction::Switch:
  case Instruction::Unreachable:
  case Instruction::Fence:
  case Instruction::VAArg:
    if (isa<VAArgInst>(I) && carriesBits(I.getType()))
      addPts(&I, one(0));
    return;
  case Instruction::Ret:
    visitReturn(cast<ReturnInst>(I));
    return;
  case Instruction::Call:
  case Instruction::Invoke:
  case Instruction::CallBr:
    visitCall(cast<CallBase>(I));
    return;
  case Instruction::AtomicRMW:
  case Instruction::AtomicCmpXchg: {
    Value *Addr = getLoadStorePointerOperand(&I)
                      ? getLoadStorePointerOperand(&I)
                      : I.getOperand(0);
    for (unsigned K = 1; K < I.getNumOperands(); ++K)
      escapeAll(ptsOf(I.getOperand(K)), Reason{"used in an atomic operation"},
                &I, true);
    for (unsigned X : ptsOf(Addr))
      escapeContents(X, Reason{"updated by an atomic operation"}, &I);
    if (ptrLike(I.getType()))
      addPts(&I, one(0));
    return;
  }
  case Instruction::ExtractValue:
  case Instruction::ExtractElement:
    // Pointer bits never enter a vector or an aggregate unpublished.
    if (ptrLike(I.getType()))
      addPts(&I, one(0));
    return;
  case Instruction::InsertValue:
  case Instruction::InsertElement:
  case Instruction::ShuffleVector:
    // Aggregates are not followed: whatever goes in, pointer or its bits,
    // is published.
    for (Value *Op : I.operands())
      escapeAll(ptsOf(Op), Reason{"stored into an aggregate value"}, &I);
    return;
  default:
    // Anything else that consumes a pointer publishes it as far as we know:
    // insertvalue, shufflevector, landingpad, indirectbr, ...
    for (Value *Op : I.operands())
      if (Op->getType()->isPointerTy() || Op->getType()->isVectorTy() ||
          Op->getType()->isAggregateType())
        escapeAll(ptsOf(Op),
                  Reason{std::string("used by a ") + I.getOpcodeName() +
                         " instruction"},
                  &I, true);
    if (ptrLike(I.getType()) && I.getType()->isPointerTy())
      addPts(&I, one(0));
    return;
  }
}

void FunctionAnalyzer::visitReturn(ReturnInst &RI) {
  Value *V = RI.getReturnValue();
  if (!V)
    return;
  const SmallVector<AggLeaf, 4> *L = aggLeaves(V->getType());
  if (!L && !carriesBits(V->getType()))
    return;
  // A scalar is leaf 0 of its own; an aggregate's leaves are recorded one by
  // one (RetLeaves), so that callers read each field's own.
  for (unsigned K = 0, E = L ? L->size() : 1; K < E; ++K)
    for (unsigned X : L ? leafPts(V, K) : ptsOf(V))
      returnObj(X, &RI, L ? int(K) : -1);
}

void FunctionAnalyzer::returnObj(unsigned X, const Instruction *At,
                                 int Leaf) {
  Obj &O = Objs[X];
  if (O.Kind != ObjKind::Pointee)
    ReturnsOnlyParams = false;
  switch (O.Kind) {
  case ObjKind::Pointee:
    // A byval copy dies with the frame: returning its address publishes
    // what it holds (the caller reads the summary as content leaking).
    if (O.LocalCopy) {
      ReturnsOnlyParams = false;
      markEscaped(X, Reason{"returned from @", &F}, At, -1);
      break;
    }
    [[fallthrough]];
  case ObjKind::Content:
  case ObjKind::ParamBits:
    // The caller sees it again through the call's result.
    setFlag(O.Returned);
    if (Leaf >= 0 && !(O.RetLeaves >> Leaf & 1)) {
      O.RetLeaves |= uint64_t(1) << Leaf;
      Changed = true;
    }
    break;
  case ObjKind::External:
    break;
  case ObjKind::Site:
    // Only a returned pointer makes an allocation wrapper.
    if (!ReturnIsEscape && Leaf == -1) {
      setFlag(O.Returned);
      break;
    }
    [[fallthrough]];
  default:
    markEscaped(X, Reason{"returned from @", &F}, At, -1);
  }
}

/// A free that may release several objects (a phi or a select of them, a
/// pointer loaded from memory that may hold another) is listed by every
/// site among them; after the decisions keptFrees() says which of those the
/// rewrite must keep behind a check that the pointer is none of the frame's
/// stack slots.
void FunctionAnalyzer::visitFree(CallBase &CB, Value *Freed) {
  PtsSet S = ptsOf(Freed);
  for (unsigned X : S) {
    Obj &O = Objs[X];
    switch (O.Kind) {
    case ObjKind::Site:
      if (!isa<CallInst>(CB))
        pin(X, Reason{"freed by an invoke"}, &CB); // cannot be deleted
      else if (!is_contained(O.Frees, &CB)) {
        O.Frees.push_back(&CB);
        Changed = true;
      }
      break;
    case ObjKind::Pointee:
      setFlag(O.Freed);
      break;
    case ObjKind::Content:
    case ObjKind::ParamBits:
      markEscaped(X, Reason{"freed"}, &CB, -1);
      break;
    default:
      break;
    }
  }
}

SmallVector<unsigned, 4> FunctionAnalyzer::paramSummary() const {
  SmallVector<unsigned, 4> S(F.arg_size(), ParamNoEscape);
  for (Argument &A : F.args()) {
    if (!carriesBits(A.getType()))
      continue;
    const Obj &P = Objs[PointeeOf[A.getArgNo()]];
    const Obj &C = Objs[ContentOf[A.getArgNo()]];
    const Obj &C2 = Objs[Content2Of[A.getArgNo()]];
    unsigned Flags = 0;
    if (P.Escaped)
      Flags |= ParamLeaks;
    if (P.Returned)
      Flags |= ParamToResult;
    if (P.Freed)
      Flags |= ParamFreed;
    if (C.Escaped || P.ContentsEscape)
      Flags |= ParamContentLeaks;
    else if (C2.Escaped || C.ContentsEscape)
      Flags |= ParamContent2Leaks;
    if (C.Returned)
      Flags |= ParamContentToResult;
    if (C2.Returned)
      Flags |= ParamContent2ToResult;
    S[A.getArgNo()] = Flags;
  }
  return S;
}

SmallVector<std::array<uint64_t, 3>, 4>
FunctionAnalyzer::resultLeaves() const {
  SmallVector<std::array<uint64_t, 3>, 4> R;
  if (!isTrackedAgg(F.getReturnType()))
    return R;
  R.assign(F.arg_size(), {0, 0, 0});
  for (Argument &A : F.args())
    if (carriesBits(A.getType()))
      R[A.getArgNo()] = {Objs[PointeeOf[A.getArgNo()]].RetLeaves,
                         Objs[ContentOf[A.getArgNo()]].RetLeaves,
                         Objs[Content2Of[A.getArgNo()]].RetLeaves};
  return R;
}

SmallVector<ParamBitsFact, 2> FunctionAnalyzer::paramBits() const {
  SmallVector<ParamBitsFact, 2> R;
  for (unsigned X : BitsObjs) {
    const Obj &O = Objs[X];
    unsigned Flags = (O.Escaped ? unsigned(ParamLeaks) : 0u) |
                     (O.Returned ? unsigned(ParamToResult) : 0u);
    if (Flags)
      R.push_back({O.ArgNo, O.BitsOffset, O.BitsSize, Flags});
  }
  return R;
}

} // namespace escalloc
