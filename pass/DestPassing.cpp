//===- DestPassing.cpp - Caller-frame promotion (destination passing) -----===//
//
// See DestPassing.h.  The clone of F, for a site `%p = malloc(%n)`:
//
//   define internal ptr @F.escalloc.into(ptr %dst, i64 %cap, <F's params>)
//     ...                                   (F's body, unchanged)
//     %fits = (%dst != null) & (%n <= %cap)
//     br %fits, stack, heap
//   stack:  memset(%dst, 0, %n)            (calloc only)
//   heap:   %h = malloc(%n)                 (the original call)
//   join:   %p = phi [%dst, stack], [%h, heap]
//     ...
//     free(%q)  ->  if (%q != %dst) free(%q)
//
// and for a site that calls G (a chain), `G.escalloc.into(%dst, %cap, ...)`.
// The caller:
//
//   %r = call @F.escalloc.into(%slot, N, args)   (%slot null when the stack
//                                                 guard found no room)
//   free(%q)  ->  if (%q != %slot) free(%q)
//
// Through a hook, %fits also requires the hook's test (emitIsDefault):
// `%fp == @malloc`, or the wrapper's path predicate, evaluated just before
// the call as the call itself would.
//
// Invariants: the site runs at most once per call of F (it is in no cycle of
// F), and no pointer to its object is stored anywhere in F, so the one slot
// is the object of this call only; the caller's analysis decided its object
// (the call's result) as it decides a malloc, by its own frame, path, loop
// and recursion rules.
//
//===----------------------------------------------------------------------===//
#include "DestPassing.h"
#include "AllocHooks.h"
#include "EscapeAnalysis.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Analysis/CycleAnalysis.h"
#include "llvm/Analysis/LazyValueInfo.h"
#include "llvm/Analysis/MemoryBuiltins.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/ConstantRange.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#define DEBUG_TYPE "escalloc"

using namespace llvm;

namespace escalloc {

STATISTIC(NumDestPassed, "Allocations built in the caller's frame");
STATISTIC(NumDestClones, "Functions cloned to take a destination");

static cl::opt<unsigned> DestDepth(
    "escalloc-dest-depth", cl::init(3),
    cl::desc("Longest chain of functions through which a caller's stack slot "
             "is passed to the allocation (destination passing: 1 is the "
             "function that calls malloc); 0 disables (default 3)"));

unsigned destPassingDepth() { return DestDepth; }

/// The largest alignment that loads, stores and memory intrinsics claim for
/// memory reached from \p Root (through GEPs, phis, selects), at most 64:
/// malloc's memory often is more aligned than its 16 bytes promise (an
/// avx2 constructor stores `__m256i` with `align 32`), and a slot must be too.
static uint64_t claimedAlign(const Value *Root) {
  SmallPtrSet<const Value *, 16> Seen{Root};
  SmallVector<const Value *, 8> Work{Root};
  uint64_t A = 1;
  while (!Work.empty()) {
    const Value *V = Work.pop_back_val();
    for (const Use &U : V->uses()) {
      const User *Us = U.getUser();
      if (const auto *L = dyn_cast<LoadInst>(Us))
        A = std::max<uint64_t>(A, L->getAlign().value());
      else if (const auto *St = dyn_cast<StoreInst>(Us))
        A = std::max<uint64_t>(A, St->getAlign().value());
      else if (const auto *CB = dyn_cast<CallBase>(Us)) {
        if (CB->isArgOperand(&U))
          if (MaybeAlign PA = CB->getParamAlign(CB->getArgOperandNo(&U)))
            A = std::max<uint64_t>(A, PA->value());
      } else if (isa<GetElementPtrInst, PHINode, SelectInst, CastInst>(Us)) {
        if (Seen.insert(Us).second)
          Work.push_back(Us);
      }
    }
  }
  return std::min<uint64_t>(A, 64);
}

void describeDestination(Function &F, CallBase &Site,
                         ArrayRef<CallBase *> Frees,
                         const FunctionEscapeInfo *SiteCallee,
                         const TargetLibraryInfo &TLI, CycleInfo &CI,
                         FunctionEscapeInfo &FI) {
  FI.DestSite = nullptr;
  FI.DestFrees.clear();
  FI.DestConstSize = 0;
  FI.DestSizeArg = -1;
  FI.DestSizeScale = 1;
  FI.DestThroughHook = false;
  FI.DestSpeculation.clear();
  auto No = [&](std::string Why) { FI.DestWhy = std::move(Why); };
  if (!DestDepth)
    return No("destination passing is off (-escalloc-dest-depth=0)");
  if (!isa<CallInst>(Site))
    return No("it is allocated by an invoke");
  if (CI.getCycle(Site.getParent()))
    return No("it is allocated in a loop");
  // Where the size comes from: a constant, or one of F's parameters.
  auto SizeOf = [&](Value *V) {
    if (auto *C = dyn_cast<ConstantInt>(V))
      FI.DestConstSize = std::max<uint64_t>(1, C->getLimitedValue());
    else if (auto *A = dyn_cast<Argument>(V))
      FI.DestSizeArg = A->getArgNo();
  };
  // A hook's call frees through a hook in F: the user's deallocator, when
  // replaced, would get what the original program gave it, never the slot.
  for (CallBase *Free : Frees)
    if (std::optional<AllocHook> FreeHook = freeHook(*Free, TLI))
      return No("it is freed in @" + F.getName().str() + " through " +
                hookName(*FreeHook));
  LibFunc LF = NotLibFunc;
  const Function *Callee = Site.getCalledFunction();
  bool IsLib = Callee && TLI.getLibFunc(*Callee, LF) &&
               (LF == LibFunc_malloc || LF == LibFunc_calloc);
  // Through a hook (AllocHooks.h): the same sizes as the call's malloc or
  // calloc; the clone tests the hook where it calls it.
  std::optional<AllocHook> Hook =
      IsLib || isAllocationCall(Site, TLI) ? std::nullopt
                                             : allocHook(Site, TLI);
  if (Hook) {
    LF = Hook->Func;
    FI.DestThroughHook = true;
    FI.DestSpeculation = hookSpeculation(*Hook);
  }
  if (IsLib || Hook) {
    if (LF == LibFunc_malloc) {
      SizeOf(Site.getArgOperand(0));
    } else {
      auto *N = dyn_cast<ConstantInt>(Site.getArgOperand(0));
      auto *Sz = dyn_cast<ConstantInt>(Site.getArgOperand(1));
      if (N && Sz) {
        bool Overflow = false;
        APInt T = N->getValue().umul_ov(Sz->getValue(), Overflow);
        if (!Overflow)
          FI.DestConstSize = std::max<uint64_t>(1, T.getLimitedValue());
      } else if (N || Sz) {
        // calloc(n, 8): a parameter times a constant.
        SizeOf(Site.getArgOperand(N ? 1 : 0));
        FI.DestSizeScale = (N ? N : Sz)->getLimitedValue();
        if (FI.DestSizeScale == 0 || FI.DestSizeScale > (1u << 20))
          FI.DestSizeArg = -1;
      }
    }
    FI.DestDepth = 1;
  } else if (SiteCallee && SiteCallee->DestSite) {
    if (SiteCallee->DestDepth + 1 > DestDepth)
      return No("the chain of functions that return it is longer than "
                "-escalloc-dest-depth=" +
                std::to_string(DestDepth));
    FI.DestDepth = SiteCallee->DestDepth + 1;
    FI.DestThroughHook = SiteCallee->DestThroughHook;
    FI.DestSpeculation = SiteCallee->DestSpeculation;
    if (SiteCallee->DestConstSize)
      FI.DestConstSize = SiteCallee->DestConstSize;
    else if (SiteCallee->DestSizeArg >= 0) {
      SizeOf(Site.getArgOperand(SiteCallee->DestSizeArg));
      FI.DestSizeScale = SiteCallee->DestSizeScale;
      if (FI.DestConstSize) // a constant argument: the product, if it fits
        FI.DestConstSize =
            FI.DestConstSize > UINT64_MAX / FI.DestSizeScale
                ? 0
                : FI.DestConstSize * FI.DestSizeScale;
    }
  } else if (SiteCallee) {
    return No("@" + Callee->getName().str() +
              " cannot build it in a caller's frame: " + SiteCallee->DestWhy);
  } else {
    return No("it is allocated by @" +
              (Callee ? Callee->getName().str() : std::string("?")) +
              ", not malloc or calloc");
  }
  FI.DestAlign = std::max<uint64_t>(16, claimedAlign(&Site));
  if (FI.DestDepth > 1)
    FI.DestAlign = std::max(FI.DestAlign, SiteCallee->DestAlign);
  FI.DestSite = &Site;
  FI.DestFrees.assign(Frees.begin(), Frees.end());
  FI.DestWhy.clear();
  LLVM_DEBUG(dbgs() << "escalloc: @" << F.getName()
                    << " takes a destination for " << Site << " (depth "
                    << FI.DestDepth << ")\n");
}

bool destSlotSize(AllocSite &S, const FunctionEscapeInfo &Callee,
                  LazyValueInfo &LVI, uint64_t MaxStack,
                  uint64_t FallbackSize) {
  uint64_t Size = Callee.DestConstSize;
  if (!Size && Callee.DestSizeArg >= 0) {
    Value *V = S.Call->getArgOperand(Callee.DestSizeArg);
    uint64_t Max = 0;
    bool Known = false;
    if (auto *C = dyn_cast<ConstantInt>(V)) {
      Max = C->getLimitedValue();
      Known = true;
    } else if (V->getType()->isIntegerTy()) {
      ConstantRange R = LVI.getConstantRange(V, S.Call, /*UndefAllowed=*/false);
      if (!R.isFullSet() && R.getUnsignedMax().ule(MaxStack)) {
        Max = R.getUnsignedMax().getZExtValue();
        Known = true;
      }
    }
    if (Known) {
      // Saturated: a product past the stack's limit is "too large".
      Size = Max > (MaxStack + 1) / Callee.DestSizeScale
                 ? MaxStack + 1
                 : std::max<uint64_t>(1, Max * Callee.DestSizeScale);
      if (Size > MaxStack) {
        S.Why = Reason{"too large for stack (more than " +
                       std::to_string(MaxStack) + " bytes)"};
        return false;
      }
    }
  }
  if (!Size) {
    // The clone checks the size at run time: a buffer that small sizes fit.
    if (!FallbackSize) {
      S.Why = Reason{"non-constant size"};
      return false;
    }
    Size = FallbackSize;
    S.RuntimeFallback = true;
  }
  if (Size > MaxStack) {
    S.Why = Reason{"too large for stack (" + std::to_string(Size) + " > " +
                   std::to_string(MaxStack) + ")"};
    return false;
  }
  S.Size = Size;
  S.Alignment = Align(std::max(Callee.DestAlign, claimedAlign(S.Call)));
  return true;
}

/// A call of \p Callee (a clone) in place of \p Old, with \p Dst and \p Cap
/// first: the old call's function and parameter attributes, none of its
/// return attributes (the result may be the caller's own slot: not noalias).
static CallInst *callClone(CallBase &Old, Function &Callee, Value *Dst,
                           Value *Cap) {
  SmallVector<Value *, 8> Args{Dst, Cap};
  Args.append(Old.arg_begin(), Old.arg_end());
  auto *New = CallInst::Create(Callee.getFunctionType(), &Callee, Args, "",
                               Old.getIterator());
  AttributeList A = Old.getAttributes();
  SmallVector<AttributeSet, 8> Params{AttributeSet(), AttributeSet()};
  for (unsigned I = 0; I < Old.arg_size(); ++I)
    Params.push_back(A.getParamAttrs(I));
  AttrBuilder FnAttrs(Old.getContext(), A.getFnAttrs());
  FnAttrs.removeAttribute(Attribute::Memory);
  FnAttrs.removeAttribute(Attribute::AllocSize);
  FnAttrs.removeAttribute(Attribute::AllocKind);
  FnAttrs.removeAttribute("alloc-family");
  New->setAttributes(AttributeList::get(
      Old.getContext(), AttributeSet::get(Old.getContext(), FnAttrs),
      AttributeSet(), Params));
  New->setCallingConv(Old.getCallingConv());
  New->setDebugLoc(Old.getDebugLoc());
  New->takeName(&Old);
  Old.replaceAllUsesWith(New);
  Old.eraseFromParent();
  return New;
}

/// `if (q != dst) free(q)` for each free in \p Frees.
static void guardFrees(ArrayRef<CallBase *> Frees, Value *Dst) {
  for (CallBase *Free : Frees) {
    IRBuilder<> B(Free);
    Value *OnHeap = B.CreateICmpNE(Free->getArgOperand(0), Dst, "escalloc.onheap");
    Instruction *T = SplitBlockAndInsertIfThen(OnHeap, Free, false);
    Free->moveBefore(T);
  }
}

Function *DestClones::cloneOf(const Function &F) {
  Function *&C = Clones[&F];
  if (C)
    return C;
  LLVMContext &Ctx = M.getContext();
  SmallVector<Type *, 8> Params{PointerType::getUnqual(Ctx),
                                Type::getInt64Ty(Ctx)};
  append_range(Params, F.getFunctionType()->params());
  auto *FT = FunctionType::get(F.getReturnType(), Params, false);
  C = Function::Create(FT, GlobalValue::InternalLinkage, F.getAddressSpace(),
                       F.getName() + ".escalloc.into", &M);
  Pending.push_back(&F);
  ++NumDestClones;
  return C;
}

Value *DestClones::promote(const AllocSite &S, Value *Slot, Value *Ok,
                           ArrayRef<CallBase *> Frees) {
  ++NumDestPassed;
  CallBase &Call = *S.Call;
  LLVM_DEBUG(dbgs() << "escalloc: destination for " << Call << " in "
                    << Call.getFunction()->getName() << "\n");
  IRBuilder<> B(&Call);
  Value *Dst = Slot;
  if (Ok)
    Dst = B.CreateSelect(Ok, Slot, ConstantPointerNull::get(B.getPtrTy()),
                         "escalloc.dst");
  callClone(Call, *cloneOf(*S.DestCallee), Dst, B.getInt64(S.Size));
  // The frees compare with the slot, not with Dst: a free need not be
  // dominated by the call (`if (c) p = make(); ... if (c) free(p)`), while
  // the slot is defined in the entry block.  Without room the clone got
  // null and returned a heap object (or null), never the slot's address.
  guardFrees(Frees, Slot);
  return Slot;
}

void DestClones::fillClone(const Function &F, Function &C) {
  const FunctionEscapeInfo &FI = *Info.lookup(F);
  ValueToValueMapTy VMap;
  auto AI = C.arg_begin();
  Argument *Dst = &*AI++;
  Argument *Cap = &*AI++;
  Dst->setName("escalloc.dst");
  Cap->setName("escalloc.cap");
  for (const Argument &A : F.args()) {
    AI->setName(A.getName());
    VMap[&A] = &*AI++;
  }
  SmallVector<ReturnInst *, 4> Returns;
  CloneFunctionInto(&C, &F, VMap, CloneFunctionChangeType::LocalChangesOnly,
                    Returns);
  C.setLinkage(GlobalValue::InternalLinkage);
  C.setVisibility(GlobalValue::DefaultVisibility);
  C.setDLLStorageClass(GlobalValue::DefaultStorageClass);
  C.setComdat(nullptr);
  // What F's declaration promised about its result and its memory no longer
  // holds: the result may be the caller's slot, which the clone writes.
  C.removeRetAttr(Attribute::NoAlias);
  C.removeFnAttr(Attribute::Memory);
  C.removeFnAttr(Attribute::AllocSize);
  C.removeFnAttr(Attribute::AllocKind);
  C.removeFnAttr("alloc-family");

  SmallVector<CallBase *, 2> Frees;
  for (CallBase *Fr : FI.DestFrees)
    Frees.push_back(cast<CallBase>(VMap[Fr]));
  auto &Site = *cast<CallBase>(VMap[FI.DestSite]);
  if (FI.DestDepth > 1) {
    callClone(Site, *cloneOf(*FI.DestSite->getCalledFunction()), Dst, Cap);
  } else {
    IRBuilder<> B(&Site);
    Value *Bytes = Site.getArgOperand(0);
    bool Zeroed = Site.arg_size() == 2; // calloc(n, size)
    if (Zeroed) {
      // calloc's product, saturated: an overflow never fits, and the heap
      // path's calloc fails as it would have.
      Type *Ty = B.getInt64Ty();
      Value *Mul = B.CreateBinaryIntrinsic(
          Intrinsic::umul_with_overflow, B.CreateZExtOrTrunc(Bytes, Ty),
          B.CreateZExtOrTrunc(Site.getArgOperand(1), Ty));
      Bytes = B.CreateSelect(B.CreateExtractValue(Mul, 1),
                             Constant::getAllOnesValue(Ty),
                             B.CreateExtractValue(Mul, 0), "escalloc.bytes");
    }
    Bytes = B.CreateZExtOrTrunc(Bytes, B.getInt64Ty());
    Value *Fits = B.CreateAnd(B.CreateIsNotNull(Dst),
                              B.CreateICmpULE(Bytes, Cap), "escalloc.fits");
    if (FI.DestThroughHook) // speculative: the hook is malloc at run time
      Fits = B.CreateAnd(
          Fits,
          emitIsDefault(Site,
                        FAM.getResult<TargetLibraryAnalysis>(
                            const_cast<Function &>(F)),
                        B, "escalloc.malloc"),
          "escalloc.spec");
    Instruction *StackT, *HeapT;
    SplitBlockAndInsertIfThenElse(Fits, &Site, &StackT, &HeapT);
    if (Zeroed) {
      IRBuilder<> SB(StackT);
      SB.CreateMemSet(Dst, SB.getInt8(0), Bytes, MaybeAlign(1));
    }
    BasicBlock *Join = Site.getParent();
    Site.moveBefore(HeapT);
    PHINode *Phi = PHINode::Create(Site.getType(), 2, "escalloc.ptr");
    Phi->insertBefore(Join->begin());
    Site.replaceAllUsesWith(Phi);
    Phi->addIncoming(Dst, StackT->getParent());
    Phi->addIncoming(&Site, HeapT->getParent());
    Phi->setDebugLoc(Site.getDebugLoc());
  }
  guardFrees(Frees, Dst);
}

SmallVector<Function *, 4> DestClones::finish() {
  SmallVector<Function *, 4> Done;
  while (!Pending.empty()) {
    const Function *F = Pending.pop_back_val();
    Function *C = Clones.lookup(F);
    fillClone(*F, *C);
    Done.push_back(C);
  }
  return Done;
}

} // namespace escalloc
