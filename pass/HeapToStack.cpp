//===- HeapToStack.cpp - Move non-escaping heap objects to the stack ------===//
//
// Rewrite of one promoted site:
//   entry:   %obj = alloca [N x i8], align A        (static: one slot)
//   site:    llvm.lifetime.start(N, %obj)           (every execution)
//            memset(%obj, 0, N)                     (calloc only)
//            memcpy(%obj, %s, N-1); %obj[N-1] = 0   (strdup, strndup)
//   frees:   llvm.lifetime.end(N, %obj)             (instead of free)
// The analysis guarantees that no pointer to the object survives into the
// next execution of the site, which is what makes one slot enough inside a
// loop.  A run-time fallback site keeps its heap call behind a size check and
// guards its frees so that the stack buffer is never passed to free.
//
// Before: calls to allocation wrappers whose result stays local are inlined
// and the analysis is run again, so the allocation inside is decided (and
// reported, "inlined into ...") in the caller.
//
// Stack guard (StackGuard.h): in a frame whose objects need it, they share
// one block the function reserves at entry only when the thread's stack has
// room; each site then reads
//   site:    br %ok, stack, heap
//   stack:   memset/memcpy of its slot (calloc, strdup)
//   heap:    %h = the original call
//   join:    %p = phi [%slot, stack], [%h, heap]
//   frees:   if (%p != %slot) free(%p)
//
// A free that may release several objects (a phi or a select of promoted
// objects, or also one staying on the heap) is rewritten once, after every
// site of the frame: removed when all of them are on the stack for sure,
// else `if (%p != %slot1 && %p != %slot2 ...) free(%p)` (FramePlan).
//
// Growable buffers (AllocSite::Reallocs): the object starts in its slot as
// above, its frees are guarded, and each realloc of it reads
//   realloc: br (%p == %slot [&& %ok]), inslot, heap
//   inslot:  br (%n - 1 <u SlotSize), join, move         ; 1 <= n <= slot
//            (a realloc wrapper off its path to realloc, AllocHooks.h,
//            is first handed a heap copy of the slot instead)
//   move:    %m = @escalloc.grow.move(%slot, SlotSize, %n)  ; cold
//   heap:    %h = the original realloc(%p, %n)
//   join:    %r = phi [%slot, inslot], [%m, move], [%h, heap]
// escalloc.grow.move (one per module, internal) is malloc + memcpy of the
// slot, NULL (the slot kept) when malloc fails, and for n == 0 what the
// program's realloc makes of realloc(heap object, 0) (glibc: free, NULL).
//
// Go's move2heap (AllocSite::MoveAtReturn): a growable buffer whose only
// escape is one return of it also keeps its live size (%len: the site's
// request, then each realloc's n that stays in the slot), and that return
// reads
//   ret:     br (%v == %slot [&& %ok]), move, join
//   move:    %m = @escalloc.move2heap(%slot, %len)   ; malloc + copy
//   join:    ret phi [%v, ret], [%m, move]
// escalloc.move2heap (one per module, internal) returns NULL when malloc
// fails, as the allocation it stands for would have.
//
// Afterwards: `tail` is cleared on calls that may receive a pointer or its
// bits (the marker promises the callee touches no caller alloca), and a
// function that gained more than a page of stack gets inline stack probes.
//
//===----------------------------------------------------------------------===//
#include "HeapToStack.h"
#include "DestPassing.h"
#include "EscapeAnalysis.h"
#include "AllocHooks.h"
#include "Inventory.h"
#include "LibCalls.h"
#include "Remarks.h"
#include "Lowering.h"
#include "StackGuard.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/IR/AttributeMask.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Debug.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/Cloning.h"

#define DEBUG_TYPE "escalloc"

using namespace llvm;

namespace escalloc {

STATISTIC(NumPromoted, "Allocations moved to the stack");
STATISTIC(NumFallback, "Allocations moved to the stack behind a size check");
STATISTIC(NumFreesRemoved, "Frees of promoted objects removed");
STATISTIC(NumWrappersInlined, "Allocation wrappers inlined");
STATISTIC(NumGuarded, "Allocations moved to the stack behind the stack guard");
STATISTIC(NumGrowable, "Growable buffers started on the stack");
STATISTIC(NumReallocsRewritten, "Reallocs of growable buffers rewritten");
STATISTIC(NumMovedAtReturn,
          "Growable buffers moved to the heap at their return (move2heap)");

/// Stack a function may gain before it needs probes: one guard page.
static constexpr uint64_t ProbeThreshold = 4096;

/// A value named in a remark, as C names it (`mk`, a demangled C++ name);
/// a plain C name keeps the value, so the YAML record links to it.
static ore::NV subjectNV(const Value *V) {
  if (V->getName().starts_with("_Z"))
    return ore::NV("Subject", cName(*V));
  return ore::NV("Subject", V);
}

static void appendReason(DiagnosticInfoOptimizationBase &R, const Reason &W) {
  // The analysis words its reasons in IR terms ("returned from @mk", for
  // print<escalloc>); a remark says "returned from mk".
  StringRef Text = W.Text;
  if (W.Subject && Text.ends_with("@"))
    Text = Text.drop_back();
  R << ore::NV("Reason", cText(Text));
  if (W.Subject)
    R << subjectNV(W.Subject);
  if (!W.Tail.empty())
    R << ore::NV("Detail", cText(W.Tail));
}

/// Where the user wrote the return of a move2heap buffer.  Clang gives a
/// function one `ret` (at its closing brace) that every `return` statement
/// branches to; where one edge alone brings a non-constant value and it is
/// an unconditional branch, that branch carries the statement's line.
static DebugLoc returnLoc(const ReturnInst &RI) {
  auto *Phi = dyn_cast<PHINode>(RI.getReturnValue());
  if (Phi && Phi->getParent() == RI.getParent()) {
    BasicBlock *From = nullptr;
    for (unsigned K = 0; K < Phi->getNumIncomingValues(); ++K) {
      if (isa<Constant>(Phi->getIncomingValue(K)))
        continue;
      if (From && From != Phi->getIncomingBlock(K))
        return userLoc(RI);
      From = Phi->getIncomingBlock(K);
    }
    if (auto *Br = From ? dyn_cast<BranchInst>(From->getTerminator()) : nullptr)
      if (const DebugLoc &DL = Br->getDebugLoc())
        if (Br->isUnconditional() && DL.getLine())
          return DL;
  }
  return userLoc(RI);
}

static void emitDecision(OptimizationRemarkEmitter &ORE, const AllocSite &S,
                         bool Guarded, unsigned FreesKept) {
  if (S.Promote && S.DestCallee) {
    // Both functions by name: the object is the callee's, the frame the
    // caller's.
    ORE.emit([&] {
      OptimizationRemark R(DEBUG_TYPE, "MovedToCallerFrame", S.Call);
      R << ore::NV("Allocation", S.Label) << " moved to stack in the frame of "
        << ore::NV("Caller", cName(*S.Call->getFunction())) << ": "
        << ore::NV("Callee", cName(*S.DestCallee))
        << " builds it there (destination passing)";
      if (S.RuntimeFallback)
        R << " when its size fits " << ore::NV("Size", S.Size) << " bytes";
      if (Guarded)
        R << (S.RuntimeFallback ? " and" : " when") << " the stack has room";
      if (!S.Frees.empty())
        R << "; " << ore::NV("FreesGuarded", (unsigned)S.Frees.size())
          << (S.Frees.size() == 1 ? " free" : " frees") << " guarded";
      if (!S.HookSpeculation.empty()) // through a hook: its test in the clone
        R << "; speculatively promoted: "
          << ore::NV("Speculation", S.HookSpeculation);
      appendInlined(R, *S.Call);
      return R;
    });
    return;
  }
  if (S.Promote) {
    ORE.emit([&] {
      OptimizationRemark R(DEBUG_TYPE, "MovedToStack", S.Call);
      R << ore::NV("Allocation", S.Label)
        << (S.MoveAtReturn ? " built on the stack" : " moved to stack");
      if (S.RuntimeFallback)
        R << " when its size fits " << ore::NV("Size", S.Size) << " bytes";
      if (Guarded)
        R << (S.RuntimeFallback ? " and" : " when") << " the stack has room";
      if (S.MoveAtReturn) { // Go's move2heap
        R << ", moved to heap at return";
        if (DebugLoc DL = returnLoc(*S.MoveAtReturn))
          R << " (line " << ore::NV("ReturnLine", DL.getLine()) << ")";
      }
      bool Grows = !S.Reallocs.empty();
      if (Grows)
        R << "; grows on the stack up to " << ore::NV("SlotSize", S.Size)
          << " bytes, then moves to the heap; "
          << ore::NV("Reallocs", (unsigned)S.Reallocs.size())
          << (S.Reallocs.size() == 1 ? " realloc" : " reallocs")
          << (S.Frees.empty() ? " guarded" : " and");
      const char *Sep = Grows ? " " : "; ";
      // "1 free removed", "2 frees guarded", or both kinds: a free this
      // object shares with one that may be on the heap stays, guarded.
      unsigned Removed = S.Frees.size() - FreesKept;
      if (Removed && FreesKept)
        R << Sep << ore::NV("FreesRemoved", Removed)
          << (Removed == 1 ? " free" : " frees") << " removed, "
          << ore::NV("FreesGuarded", FreesKept) << " guarded";
      else if (!S.Frees.empty())
        R << Sep << ore::NV("FreesRemoved", (unsigned)S.Frees.size())
          << (S.Frees.size() == 1 ? " free" : " frees")
          << (FreesKept ? " guarded" : " removed");
      if (S.ThroughHook)
        R << "; speculatively promoted: "
          << ore::NV("Speculation", S.HookSpeculation);
      appendInlined(R, *S.Call);
      return R;
    });
    return;
  }
  ORE.emit([&] {
    OptimizationRemarkMissed R(DEBUG_TYPE, "EscapesToHeap", S.Call);
    R << ore::NV("Allocation", S.Label) << " escapes to heap: ";
    appendReason(R, S.Why);
    appendInlined(R, *S.Call);
    return R;
  });
  for (const FlowStep &St : S.Flow)
    ORE.emit([&] {
      // At the user's line, not inside a fortify header's wrapper.
      OptimizationRemarkAnalysis R(DEBUG_TYPE, "Flow", userLoc(*St.At),
                                   St.At->getParent());
      R << "flow: " << ore::NV("Step", cText(St.What));
      appendInlined(R, *St.At);
      return R;
    });
}

static void emitSummaries(OptimizationRemarkEmitter &ORE, Function &F,
                          const FunctionEscapeInfo &FI) {
  SmallVector<std::string, 4> Names; // only where a remark is wanted
  for (Argument &A : F.args()) {
    if (!A.getType()->isPointerTy())
      continue;
    ORE.emit([&] {
      DiagnosticLocation Loc(F.getSubprogram());
      OptimizationRemarkAnalysis R(DEBUG_TYPE, "ParamSummary", Loc,
                                   &F.getEntryBlock());
      // Go's words, with the parameter as a structured argument: "leaking
      // param: p to result".  Every argument is part of the text (the YAML
      // record has no "extra" arguments: opt-viewer prints them all).
      unsigned Flags = FI.ParamSummary[A.getArgNo()];
      if (Names.empty())
        Names = paramNames(F);
      const std::string &Name = Names[A.getArgNo()];
      std::string Text = describeParam(A, Flags, Name);
      size_t At = Text.find(Name);
      if (At)
        R << Text.substr(0, At);
      R << ore::NV("Param", Name);
      if (At + Name.size() < Text.size())
        R << Text.substr(At + Name.size());
      return R;
    });
  }
  if (FI.HasOpaqueCall && !FI.Sites.empty())
    ORE.emit([&] {
      DiagnosticLocation Loc(F.getSubprogram());
      OptimizationRemarkAnalysis R(DEBUG_TYPE, "StackBudget", Loc,
                                   &F.getEntryBlock());
      R << ore::NV("Function", cName(F)) << " calls code outside the module";
      if (FI.OpaqueCallee)
        R << " (" << ore::NV("Callee", cName(*FI.OpaqueCallee)) << ")";
      else
        R << " (an indirect call)";
      R << ": frame budget " << ore::NV("Budget", FI.FrameBudget) << " bytes";
      return R;
    });
}

/// The fallback's run-time size in bytes: malloc's argument, or calloc's
/// count times size, saturated to all-ones on overflow (so it never fits and
/// the heap path's calloc fails exactly as it would have).
static Value *runtimeSize(IRBuilder<> &B, const AllocSite &S) {
  if (!S.DynCount)
    return S.DynSize;
  Type *Ty = S.DynSize->getType();
  Value *Count = B.CreateZExtOrTrunc(S.DynCount, Ty);
  Value *Mul = B.CreateBinaryIntrinsic(Intrinsic::umul_with_overflow, Count,
                                       S.DynSize);
  return B.CreateSelect(B.CreateExtractValue(Mul, 1),
                        Constant::getAllOnesValue(Ty),
                        B.CreateExtractValue(Mul, 0), "escalloc.bytes");
}

/// `p == NULL` and `p != NULL` of an object now on the stack are constants
/// (SROA gives up on an alloca that is compared, so fold them here).
static void foldNullChecks(CallBase &CB) {
  for (User *U : make_early_inc_range(CB.users()))
    if (auto *Cmp = dyn_cast<ICmpInst>(U))
      if (Cmp->isEquality() && isa<ConstantPointerNull>(Cmp->getOperand(1)))
        if (Cmp->getOperand(0) == &CB) {
          Cmp->replaceAllUsesWith(ConstantInt::getBool(
              Cmp->getType(), Cmp->getPredicate() == ICmpInst::ICMP_NE));
          Cmp->eraseFromParent();
        }
}

/// strdup/strndup of a constant string into \p Dst: its first Size-1 bytes,
/// then NUL.  A guarded slot's address is formed without inbounds (see
/// promoteGuardedSites).
static void copyConstantString(IRBuilder<> &B, const AllocSite &S, Value *Dst,
                               bool InBounds) {
  B.CreateMemCpy(Dst, S.Alignment, S.Call->getArgOperand(0), MaybeAlign(1),
                 S.Size - 1);
  Value *End =
      InBounds ? B.CreateConstInBoundsGEP1_64(B.getInt8Ty(), Dst, S.Size - 1)
               : B.CreateConstGEP1_64(B.getInt8Ty(), Dst, S.Size - 1);
  B.CreateStore(B.getInt8(0), End);
}

/// The calls through a deallocation hook (or a wrapper's) that free a
/// promoted object.  Found before any function is rewritten: a hook read
/// through a copy is proven over the module's uses (AllocHooks.h), which
/// the rewrite changes.
using HookFreeSet = DenseSet<const CallBase *>;

static HookFreeSet hookFrees(const EscapeInfo &Info,
                             FunctionAnalysisManager &FAM) {
  HookFreeSet Set;
  for (const auto &[F, FI] : Info.Functions) {
    auto &TLI =
        FAM.getResult<TargetLibraryAnalysis>(*const_cast<Function *>(F));
    for (const AllocSite &S : FI.Sites)
      if (S.Promote)
        for (CallBase *Free : S.Frees)
          if (freeHook(*Free, TLI))
            Set.insert(Free);
  }
  return Set;
}

/// The frees of one frame's promoted objects.  A free of one object only is
/// rewritten with its site (removed, or `if (p != slot) free(p)` where the
/// object may have taken the heap).  A free that may release several (a phi
/// or a select of promoted objects), or also one staying on the heap
/// (FunctionEscapeInfo::KeptFrees), is shared: rewritten once, after every
/// site of the frame, by rewriteSharedFree.
struct FramePlan {
  const FunctionEscapeInfo &FI;
  DestClones &Dest;
  const TargetLibraryInfo &TLI;
  SmallPtrSet<const AllocSite *, 4> Guarded;
  /// Each free of a promoted object, and the promoted sites it may free.
  MapVector<CallBase *, SmallVector<const AllocSite *, 2>> Owners;
  /// Where each promoted object lives: its alloca or its guarded slot.
  DenseMap<const AllocSite *, Value *> Slots;

  FramePlan(const FunctionEscapeInfo &FI, const TargetLibraryInfo &TLI,
            DestClones &Dest, ArrayRef<const AllocSite *> GuardedSites,
            const HookFreeSet &HookCalls)
      : FI(FI), Dest(Dest), TLI(TLI),
        Guarded(GuardedSites.begin(), GuardedSites.end()) {
    for (const AllocSite &S : FI.Sites)
      if (S.Promote)
        for (CallBase *Free : S.Frees)
          Owners[Free].push_back(&S);
    // Before any rewrite: a removed free is not read again.
    for (auto &[Free, Sites] : Owners)
      if (HookCalls.contains(Free))
        HookFrees.insert(Free);
  }
  /// The original allocation may have run (a guarded or run-time-size
  /// site), the buffer may have grown onto the heap, or a callee built it
  /// (which may return a heap object or NULL).
  bool mayBeHeap(const AllocSite &S) const {
    return S.RuntimeFallback || S.ThroughHook || !S.Reallocs.empty() ||
           Guarded.contains(&S) || S.DestCallee;
  }
  /// Destination passing: the callee's clone builds the object in \p Slot
  /// (\p Ok: the stack guard's answer, or null).
  void promoteDest(const AllocSite &S, Value *Slot, Value *Ok) {
    SmallVector<CallBase *, 2> Own;
    for (CallBase *Free : S.Frees)
      if (!shared(Free))
        Own.push_back(Free);
    Slots[&S] = Dest.promote(S, Slot, Ok, Own);
  }
  /// Calls through a deallocation hook (AllocHooks.h).
  SmallPtrSet<CallBase *, 2> HookFrees;
  bool isHook(CallBase *Free) const { return HookFrees.contains(Free); }
  bool shared(CallBase *Free) const {
    return Owners.lookup(Free).size() > 1 ||
           is_contained(FI.KeptFrees, Free) || isHook(Free);
  }
  /// The free stays (behind a check): what it frees may be on the heap, or
  /// the hook it calls may no longer be free.
  bool kept(CallBase *Free) const {
    return is_contained(FI.KeptFrees, Free) || isHook(Free) ||
           any_of(Owners.lookup(Free),
                  [&](const AllocSite *S) { return mayBeHeap(*S); });
  }
  unsigned keptOf(const AllocSite &S) const {
    return count_if(S.Frees, [&](CallBase *Free) { return kept(Free); });
  }
};

/// Each free of \p S alone skips its slot: `free(p == slot ? NULL : p)`
/// (a shared free is rewritten by rewriteSharedFree).
static void guardFreesBySelect(const AllocSite &S, Value *Slot,
                               const FramePlan &Plan) {
  for (CallBase *Free : S.Frees) {
    if (Plan.shared(Free))
      continue;
    IRBuilder<> FB(Free);
    Value *P = Free->getArgOperand(0);
    Value *OnStack = FB.CreateICmpEQ(P, Slot);
    Free->setArgOperand(
        0, FB.CreateSelect(OnStack,
                           ConstantPointerNull::get(
                               cast<PointerType>(P->getType())),
                           P));
  }
}

/// The module's internal helper \p Base returning a pointer and taking
/// \p Params, one per size type (`.i32` appended for a 32-bit size), and
/// whether it existed already (then its body is there).
static std::pair<Function *, bool> sizedHelper(Module &M, StringRef Base,
                                               Type *SizeTy,
                                               ArrayRef<Type *> Params) {
  std::string Name = Base.str();
  if (!SizeTy->isIntegerTy(64))
    Name += ".i" + std::to_string(SizeTy->getIntegerBitWidth());
  if (Function *F = M.getFunction(Name))
    return {F, true};
  Type *PtrTy = PointerType::getUnqual(M.getContext());
  return {Function::Create(FunctionType::get(PtrTy, Params, false),
                           GlobalValue::InternalLinkage, Name, M),
          false};
}

/// The module's escalloc.grow.move(slot, slotsize, n): a growable buffer
/// leaves its slot of slotsize bytes for n bytes of heap (n > slotsize or
/// n == 0).  Its calls are plain malloc/realloc (the lowering that follows
/// treats them as the program's own).
static Function *growMoveFunction(Module &M, Type *SizeTy) {
  LLVMContext &Ctx = M.getContext();
  Type *PtrTy = PointerType::getUnqual(Ctx);
  auto [F, Exists] = sizedHelper(M, "escalloc.grow.move", SizeTy,
                                 {PtrTy, SizeTy, SizeTy});
  if (Exists)
    return F;
  F->addFnAttr(Attribute::Cold);
  F->addFnAttr(Attribute::NoInline);
  F->addFnAttr(Attribute::NoUnwind);
  FunctionCallee Malloc =
      M.getOrInsertFunction("malloc", FunctionType::get(PtrTy, {SizeTy}, false));
  FunctionCallee Realloc = M.getOrInsertFunction(
      "realloc", FunctionType::get(PtrTy, {PtrTy, SizeTy}, false));
  Value *Slot = F->getArg(0), *SlotSize = F->getArg(1), *N = F->getArg(2);
  Slot->setName("slot");
  SlotSize->setName("slotsize");
  N->setName("n");
  auto *Entry = BasicBlock::Create(Ctx, "entry", F);
  auto *Move = BasicBlock::Create(Ctx, "move", F);
  auto *Copy = BasicBlock::Create(Ctx, "copy", F);
  auto *Fail = BasicBlock::Create(Ctx, "fail", F);
  auto *Zero = BasicBlock::Create(Ctx, "zero", F);
  auto *Shrink = BasicBlock::Create(Ctx, "shrink", F);
  IRBuilder<> B(Entry);
  B.CreateCondBr(B.CreateICmpEQ(N, ConstantInt::get(SizeTy, 0)), Zero, Move);
  // n > slotsize: a heap object of n bytes with the slot's bytes in it.
  B.SetInsertPoint(Move);
  Value *H = B.CreateCall(Malloc, {N});
  B.CreateCondBr(B.CreateIsNotNull(H), Copy, Fail);
  B.SetInsertPoint(Copy);
  B.CreateMemCpy(H, MaybeAlign(), Slot, MaybeAlign(), SlotSize);
  B.CreateRet(H);
  // malloc failed: realloc's failure, NULL with the old object kept.
  B.SetInsertPoint(Fail);
  B.CreateRet(ConstantPointerNull::get(cast<PointerType>(PtrTy)));
  // n == 0: the program's realloc(heap object, 0), on a heap object.
  B.SetInsertPoint(Zero);
  Value *One = B.CreateCall(Malloc, {ConstantInt::get(SizeTy, 1)});
  B.CreateCondBr(B.CreateIsNotNull(One), Shrink, Fail);
  B.SetInsertPoint(Shrink);
  B.CreateRet(B.CreateCall(Realloc, {One, ConstantInt::get(SizeTy, 0)}));
  return F;
}

/// Rewrites \p RA, a realloc of a growable buffer whose slot is \p Slot
/// (\p SlotSize bytes; in a guarded frame, in use only when \p Ok): the
/// buffer stays in the slot while the new size fits, moves to the heap
/// beyond, and a buffer already on the heap is reallocated as before.
static void growInSlot(CallBase *RA, Value *Slot, uint64_t SlotSize,
                       Value *Ok, AllocaInst *Len,
                       const TargetLibraryInfo &TLI) {
  Function &F = *RA->getFunction();
  LLVMContext &Ctx = F.getContext();
  Value *P = RA->getArgOperand(0), *N = RA->getArgOperand(1);
  Type *SizeTy = N->getType();
  BasicBlock *Head = RA->getParent();
  BasicBlock *Join = SplitBlock(Head, RA, (DominatorTree *)nullptr, nullptr,
                                nullptr, "escalloc.grow.join");
  auto *InSlot = BasicBlock::Create(Ctx, "escalloc.grow.inslot", &F, Join);
  auto *Move = BasicBlock::Create(Ctx, "escalloc.grow.move", &F, Join);
  auto *Heap = BasicBlock::Create(Ctx, "escalloc.grow.heap", &F, Join);
  const DebugLoc &DL = RA->getDebugLoc();

  IRBuilder<> B(Head->getTerminator());
  B.SetCurrentDebugLocation(DL);
  Value *IsSlot = B.CreateICmpEQ(P, Slot, "escalloc.inslot");
  if (Ok) // without room the slot is not the frame's: only a heap buffer
    IsSlot = B.CreateAnd(Ok, IsSlot);
  B.CreateCondBr(IsSlot, InSlot, Heap);
  Head->getTerminator()->eraseFromParent();

  B.SetInsertPoint(InSlot);
  // Through a realloc wrapper (AllocHooks.h) off its path to realloc: the
  // wrapper gets what the program handed it, an object of malloc (a copy).
  BasicBlock *Copied = nullptr;
  CallBase *Handed = nullptr;
  if (reallocHook(*RA, TLI)) {
    auto *Fallback = BasicBlock::Create(Ctx, "escalloc.grow.default", &F, Move);
    Copied = BasicBlock::Create(Ctx, "escalloc.grow.hooked", &F, Move);
    B.CreateCondBr(emitReplaced(*RA, TLI, B, "escalloc.hooked"), Copied,
                   Fallback);
    B.SetInsertPoint(Copied);
    FunctionCallee Malloc = F.getParent()->getOrInsertFunction(
        "malloc", FunctionType::get(B.getPtrTy(), {SizeTy}, false));
    Value *Bytes = ConstantInt::get(SizeTy, SlotSize);
    CallInst *Copy = B.CreateCall(Malloc, {Bytes}, "escalloc.copy");
    B.CreateMemCpy(Copy, MaybeAlign(1), Slot, MaybeAlign(1), Bytes);
    Handed = cast<CallBase>(RA->clone());
    Handed->setArgOperand(0, Copy);
    B.Insert(Handed);
    B.CreateBr(Join);
    B.SetInsertPoint(Fallback);
  }
  Value *Fits = B.CreateICmpULT(B.CreateSub(N, ConstantInt::get(SizeTy, 1)),
                                ConstantInt::get(SizeTy, SlotSize),
                                "escalloc.fits");
  // A buffer moved to the heap at its return: n is its live size now.
  BasicBlock *Fit = B.GetInsertBlock(); // the phi's block for the slot
  if (Len) {
    Fit = BasicBlock::Create(Ctx, "escalloc.grow.fit", &F, Join);
    IRBuilder<> FB(Fit);
    FB.SetCurrentDebugLocation(DL);
    FB.CreateStore(FB.CreateZExtOrTrunc(N, Len->getAllocatedType()), Len);
    FB.CreateBr(Join);
  }
  B.CreateCondBr(Fits, Len ? Fit : Join, Move);

  B.SetInsertPoint(Move);
  CallInst *Moved =
      B.CreateCall(growMoveFunction(*F.getParent(), SizeTy),
                   {Slot, ConstantInt::get(SizeTy, SlotSize), N}, "escalloc.moved");
  B.CreateBr(Join);

  B.SetInsertPoint(Heap);
  BranchInst *ToJoin = B.CreateBr(Join);
  RA->moveBefore(ToJoin);

  PHINode *Phi = PHINode::Create(RA->getType(), 3, "escalloc.grown");
  Phi->insertBefore(Join->begin());
  Phi->setDebugLoc(DL);
  RA->replaceAllUsesWith(Phi);
  Phi->addIncoming(Slot, Fit);
  Phi->addIncoming(Moved, Move);
  Phi->addIncoming(RA, Heap);
  if (Copied)
    Phi->addIncoming(Handed, Copied);
  ++NumReallocsRewritten;
}

/// The module's escalloc.move2heap(slot, n): a growable buffer still in
/// its slot at the return that publishes it becomes a heap object of its n
/// live bytes (NULL when malloc fails).  Its malloc is the program's, lowered
/// like any other.
static Function *moveToHeapFunction(Module &M, Type *SizeTy) {
  LLVMContext &Ctx = M.getContext();
  Type *PtrTy = PointerType::getUnqual(Ctx);
  auto [F, Exists] =
      sizedHelper(M, "escalloc.move2heap", SizeTy, {PtrTy, SizeTy});
  if (Exists)
    return F;
  F->addFnAttr(Attribute::NoUnwind);
  FunctionCallee Malloc =
      M.getOrInsertFunction("malloc", FunctionType::get(PtrTy, {SizeTy}, false));
  Value *Slot = F->getArg(0), *N = F->getArg(1);
  Slot->setName("slot");
  N->setName("n");
  auto *Entry = BasicBlock::Create(Ctx, "entry", F);
  auto *Copy = BasicBlock::Create(Ctx, "copy", F);
  auto *Done = BasicBlock::Create(Ctx, "done", F);
  IRBuilder<> B(Entry);
  Value *H = B.CreateCall(Malloc, {N});
  B.CreateCondBr(B.CreateIsNotNull(H), Copy, Done);
  B.SetInsertPoint(Copy);
  B.CreateMemCpy(H, MaybeAlign(), Slot, MaybeAlign(), N);
  B.CreateBr(Done);
  B.SetInsertPoint(Done);
  B.CreateRet(H);
  return F;
}

/// The bytes a promoted growable buffer holds at its site: the run-time
/// size \p DynBytes, the product of the size operands, or a string copy's.
static Value *requestedBytes(IRBuilder<> &B, const AllocSite &S, Type *SizeTy,
                             Value *DynBytes) {
  if (DynBytes)
    return B.CreateZExtOrTrunc(DynBytes, SizeTy);
  if (S.SizeArgs.empty())
    return ConstantInt::get(SizeTy, S.Size);
  Value *Bytes = nullptr;
  for (unsigned I : S.SizeArgs) {
    Value *Op = B.CreateZExtOrTrunc(S.Call->getArgOperand(I), SizeTy);
    Bytes = Bytes ? B.CreateMul(Bytes, Op) : Op;
  }
  return Bytes;
}

/// For move2heap: the live size of \p S, an entry alloca set at the site
/// (before \p At) and by every realloc that keeps the buffer in its slot;
/// null for any other site.
static AllocaInst *trackLiveSize(const AllocSite &S, Instruction *At,
                                 Value *DynBytes) {
  if (!S.MoveAtReturn)
    return nullptr;
  Function &F = *At->getFunction();
  Type *SizeTy = S.Reallocs.front()->getArgOperand(1)->getType();
  IRBuilder<> Entry(&F.getEntryBlock(), F.getEntryBlock().begin());
  AllocaInst *Len = Entry.CreateAlloca(SizeTy, nullptr, "escalloc.len");
  IRBuilder<> B(At);
  B.SetCurrentDebugLocation(S.Call->getDebugLoc());
  B.CreateStore(requestedBytes(B, S, SizeTy, DynBytes), Len);
  return Len;
}

/// Go's move2heap at \p S's return: the returned buffer, if it is still in
/// \p Slot (in a guarded frame, in use only when \p Ok), is copied to a
/// heap object of its live size \p Len, which is returned instead.  Every
/// earlier use saw the slot; nothing runs in the frame after the copy.
static void moveToHeapAtReturn(const AllocSite &S, Value *Slot, Value *Ok,
                               AllocaInst *Len) {
  ReturnInst *RI = S.MoveAtReturn;
  Function &F = *RI->getFunction();
  LLVMContext &Ctx = F.getContext();
  Value *V = RI->getReturnValue();
  BasicBlock *Head = RI->getParent();
  BasicBlock *Join = SplitBlock(Head, RI, (DominatorTree *)nullptr, nullptr,
                                nullptr, "escalloc.ret");
  auto *Move = BasicBlock::Create(Ctx, "escalloc.move2heap", &F, Join);
  const DebugLoc &DL = RI->getDebugLoc();

  IRBuilder<> B(Head->getTerminator());
  B.SetCurrentDebugLocation(DL);
  Value *InSlot = B.CreateICmpEQ(V, Slot, "escalloc.inslot");
  if (Ok) // without room the slot is not the frame's
    InSlot = B.CreateAnd(Ok, InSlot);
  B.CreateCondBr(InSlot, Move, Join);
  Head->getTerminator()->eraseFromParent();

  B.SetInsertPoint(Move);
  Value *N = B.CreateLoad(Len->getAllocatedType(), Len, "escalloc.live");
  CallInst *Moved =
      B.CreateCall(moveToHeapFunction(*F.getParent(), N->getType()),
                   {Slot, N}, "escalloc.moved");
  B.CreateBr(Join);

  PHINode *Phi = PHINode::Create(V->getType(), 2, "escalloc.ret");
  Phi->insertBefore(Join->begin());
  Phi->setDebugLoc(DL);
  Phi->addIncoming(V, Head);
  Phi->addIncoming(Moved, Move);
  RI->setOperand(0, Phi);
  // The copy's malloc may fail: no longer provably non-null.
  F.removeRetAttrs(AttributeMask()
                       .addAttribute(Attribute::NonNull)
                       .addAttribute(Attribute::Dereferenceable));
  ++NumMovedAtReturn;
}

/// The allocation call \p CB becomes the heap path: it moves before \p HeapT,
/// and a phi at the top of \p Join of \p Slot (from \p StackBB) and of its
/// result takes every use of that result.
static void joinStackAndHeap(CallBase *CB, Value *Slot, BasicBlock *StackBB,
                             Instruction *HeapT, BasicBlock *Join) {
  CB->moveBefore(HeapT);
  PHINode *Phi = PHINode::Create(CB->getType(), 2, "escalloc.ptr");
  Phi->insertBefore(Join->begin());
  CB->replaceAllUsesWith(Phi);
  Phi->addIncoming(Slot, StackBB);
  Phi->addIncoming(CB, HeapT->getParent());
  Phi->setDebugLoc(CB->getDebugLoc());
}

static void promote(const AllocSite &S, FramePlan &Plan) {
  CallBase *CB = S.Call;
  LLVM_DEBUG(dbgs() << "escalloc: promoting " << *CB << " (" << S.Size
                    << " bytes) in " << CB->getFunction()->getName() << "\n");
  ++NumPromoted;
  NumGrowable += !S.Reallocs.empty();
  Function &F = *CB->getFunction();
  LLVMContext &Ctx = F.getContext();
  IRBuilder<> Entry(&F.getEntryBlock(), F.getEntryBlock().begin());
  AllocaInst *AI = Entry.CreateAlloca(
      ArrayType::get(Type::getInt8Ty(Ctx), S.Size), nullptr, "escalloc.obj");
  AI->setAlignment(S.Alignment);
  if (S.DestCallee)
    return Plan.promoteDest(S, AI, nullptr);

  IRBuilder<> B(CB);
  B.SetCurrentDebugLocation(CB->getDebugLoc());
  Value *Size = B.getInt64(S.Size);
  B.CreateLifetimeStart(AI, cast<ConstantInt>(Size));
  if (S.Zeroed && !S.RuntimeFallback)
    B.CreateMemSet(AI, B.getInt8(0), S.Size, S.Alignment);
  if (S.CopiesString)
    copyConstantString(B, S, AI, /*InBounds=*/true);

  if (S.RuntimeFallback || S.ThroughHook) {
    // if (n > N) p = malloc(n); else p = %obj
    Value *TooBig = nullptr;
    AllocaInst *Len = nullptr;
    if (S.RuntimeFallback) {
      ++NumFallback;
      Value *N = runtimeSize(B, S);
      Len = trackLiveSize(S, CB, N);
      TooBig = B.CreateICmpUGT(N, ConstantInt::get(N->getType(), S.Size),
                               "escalloc.big");
      // calloc: zero the n bytes of the stack buffer when it is used (the
      // heap path keeps calloc's own zeroing).
      if (S.Zeroed)
        B.CreateMemSet(
            AI, B.getInt8(0),
            B.CreateSelect(TooBig, ConstantInt::get(N->getType(), 0), N),
            S.Alignment);
    }
    // Through a hook: the original call unless it is malloc at run time.
    if (S.ThroughHook) {
      Value *Replaced = emitReplaced(*CB, Plan.TLI, B, "escalloc.hooked");
      TooBig = TooBig ? B.CreateOr(TooBig, Replaced) : Replaced;
    }
    BasicBlock *Head = CB->getParent();
    Instruction *Term = SplitBlockAndInsertIfThen(TooBig, CB, false);
    BasicBlock *Tail = CB->getParent();
    joinStackAndHeap(CB, AI, Head, Term, Tail);
    Plan.Slots[&S] = AI;
    guardFreesBySelect(S, AI, Plan);
    for (CallBase *RA : S.Reallocs)
      growInSlot(RA, AI, S.Size, nullptr, Len, Plan.TLI);
    if (Len)
      moveToHeapAtReturn(S, AI, nullptr, Len);
    return;
  }

  AllocaInst *Len = trackLiveSize(S, CB, nullptr);
  foldNullChecks(*CB);
  CB->replaceAllUsesWith(AI);
  CB->eraseFromParent();
  Plan.Slots[&S] = AI;
  if (!S.Reallocs.empty()) {
    // The buffer may have moved to the heap by the time it is freed.
    guardFreesBySelect(S, AI, Plan);
    for (CallBase *RA : S.Reallocs)
      growInSlot(RA, AI, S.Size, nullptr, Len, Plan.TLI);
    if (Len)
      moveToHeapAtReturn(S, AI, nullptr, Len);
    return;
  }
  for (CallBase *Free : S.Frees) {
    if (Plan.shared(Free))
      continue;
    IRBuilder<> FB(Free);
    FB.CreateLifetimeEnd(AI, cast<ConstantInt>(Size));
    Free->eraseFromParent();
    ++NumFreesRemoved;
  }
}

/// The guarded rewrite of \p S into \p Slot of the frame's block, used when
/// \p Ok (and, for a run-time size, when the size fits).
static void promoteGuarded(const AllocSite &S, Value *Slot, Value *Ok,
                           FramePlan &Plan) {
  CallBase *CB = S.Call;
  LLVM_DEBUG(dbgs() << "escalloc: promoting " << *CB << " (" << S.Size
                    << " bytes, guarded) in " << CB->getFunction()->getName()
                    << "\n");
  ++NumPromoted;
  NumGrowable += !S.Reallocs.empty();
  ++NumGuarded;
  if (S.DestCallee)
    return Plan.promoteDest(S, Slot, Ok);
  if (S.RuntimeFallback)
    ++NumFallback;
  IRBuilder<> B(CB);
  B.SetCurrentDebugLocation(CB->getDebugLoc());
  Value *OnStack = Ok;
  Value *DynBytes = S.RuntimeFallback ? runtimeSize(B, S) : nullptr;
  if (S.RuntimeFallback)
    OnStack = B.CreateAnd(
        Ok,
        B.CreateICmpULE(DynBytes,
                        ConstantInt::get(DynBytes->getType(), S.Size)),
        "escalloc.fits");
  if (S.ThroughHook) // speculative: the hook is malloc at run time
    OnStack = B.CreateAnd(
        OnStack, emitIsDefault(*CB, Plan.TLI, B, "escalloc.malloc"),
        "escalloc.spec");
  AllocaInst *Len = trackLiveSize(S, CB, DynBytes);
  Instruction *StackT, *HeapT;
  SplitBlockAndInsertIfThenElse(OnStack, CB, &StackT, &HeapT);
  BasicBlock *Join = CB->getParent();
  IRBuilder<> SB(StackT);
  SB.SetCurrentDebugLocation(CB->getDebugLoc());
  if (S.Zeroed)
    SB.CreateMemSet(Slot, SB.getInt8(0),
                    S.RuntimeFallback ? DynBytes : SB.getInt64(S.Size),
                    S.Alignment);
  if (S.CopiesString)
    copyConstantString(SB, S, Slot, /*InBounds=*/false);
  joinStackAndHeap(CB, Slot, StackT->getParent(), HeapT, Join);
  emitStackRecord(CB);
  Plan.Slots[&S] = Slot;
  for (CallBase *Free : S.Frees) {
    if (Plan.shared(Free))
      continue;
    IRBuilder<> FB(Free);
    Value *OnHeap =
        FB.CreateICmpNE(Free->getArgOperand(0), Slot, "escalloc.onheap");
    Instruction *T = SplitBlockAndInsertIfThen(OnHeap, Free, false);
    Free->moveBefore(T);
  }
  for (CallBase *RA : S.Reallocs)
    growInSlot(RA, Slot, S.Size, Ok, Len, Plan.TLI);
  if (Len)
    moveToHeapAtReturn(S, Slot, Ok, Len);
}

/// The guard of \p F's frame, and each guarded site rewritten into its
/// slot of the block.
static void promoteGuardedSites(Function &F, ArrayRef<const AllocSite *> Sites,
                                FramePlan &Plan) {
  uint64_t Bytes = 0;
  Align MaxAlign(16);
  SmallVector<uint64_t, 4> Offsets;
  for (const AllocSite *S : Sites) {
    Bytes = alignTo(Bytes, S->Alignment);
    Offsets.push_back(Bytes);
    Bytes += S->Size;
    MaxAlign = std::max(MaxAlign, S->Alignment);
  }
  GuardedBlock GB = emitStackGuard(F, Bytes, MaxAlign);
  // All slots first, after the block's phi: each rewrite splits blocks.
  IRBuilder<> B(cast<Instruction>(GB.Base)->getParent()->getFirstNonPHI());
  SmallVector<Value *, 4> Slots;
  for (uint64_t Off : Offsets)
    // Not inbounds: without room the base is null and the slot is only
    // compared, never dereferenced.
    Slots.push_back(Off ? B.CreateConstGEP1_64(B.getInt8Ty(), GB.Base, Off,
                                               "escalloc.slot")
                        : GB.Base);
  for (auto [S, Slot] : zip(Sites, Slots))
    promoteGuarded(*S, Slot, GB.Ok, Plan);
}

/// A deallocation hook's call whose pointer is one of the frame's stack
/// slots, at \p At: skipped while the hook is free; a hook the user put in
/// place since the allocation (cJSON_InitHooks in between) gets what the
/// original program would have handed it, an object from malloc (a copy),
/// and never the stack slot.
static void handHookACopy(CallBase &Free, Instruction *At,
                          const FramePlan &Plan) {
  Module &M = *Free.getModule();
  IRBuilder<> B(At);
  B.SetCurrentDebugLocation(Free.getDebugLoc());
  Value *P = Free.getArgOperand(0);
  Instruction *Replaced = SplitBlockAndInsertIfThen(
      emitReplaced(Free, Plan.TLI, B, "escalloc.hooked"), At, false);
  B.SetInsertPoint(Replaced);
  // The slot's size: the one P is.
  Value *Bytes = nullptr;
  for (const AllocSite *S : Plan.Owners.lookup(&Free)) {
    Value *N = B.getInt64(S->Size);
    Bytes = Bytes ? B.CreateSelect(B.CreateICmpEQ(P, Plan.Slots.lookup(S)), N,
                                   Bytes)
                  : N;
  }
  FunctionCallee Malloc = M.getOrInsertFunction(
      "malloc", FunctionType::get(B.getPtrTy(), {B.getInt64Ty()}, false));
  CallInst *Copy = B.CreateCall(Malloc, {Bytes}, "escalloc.copy");
  B.CreateMemCpy(Copy, MaybeAlign(1), P, MaybeAlign(1), Bytes);
  auto *Call = cast<CallInst>(Free.clone());
  Call->setArgOperand(0, Copy);
  B.Insert(Call);
}

/// A free that may release several promoted objects, or also one on the
/// heap: removed when every object it may free is on the stack for sure,
/// otherwise `if (p != slot1 && p != slot2 ...) free(p)`.  (No lifetime end:
/// which object it ends is known only at run time.)
static void rewriteSharedFree(CallBase *Free, const FramePlan &Plan) {
  if (!Plan.kept(Free)) {
    LLVM_DEBUG(dbgs() << "escalloc: removing shared free " << *Free << "\n");
    Free->eraseFromParent();
    ++NumFreesRemoved;
    return;
  }
  IRBuilder<> FB(Free);
  Value *P = Free->getArgOperand(0);
  Value *OnHeap = nullptr;
  for (const AllocSite *S : Plan.Owners.lookup(Free)) {
    Value *Ne = FB.CreateICmpNE(P, Plan.Slots.lookup(S), "escalloc.onheap");
    OnHeap = OnHeap ? FB.CreateAnd(OnHeap, Ne) : Ne;
  }
  if (!Plan.isHook(Free)) {
    Instruction *T = SplitBlockAndInsertIfThen(OnHeap, Free, false);
    Free->moveBefore(T);
    return;
  }
  // Without room the first slot is null: a NULL from the user's allocator
  // still reaches the hook, as it did.
  OnHeap = FB.CreateOr(OnHeap, FB.CreateIsNull(P), "escalloc.tohook");
  Instruction *HeapT, *StackT;
  SplitBlockAndInsertIfThenElse(OnHeap, Free, &HeapT, &StackT);
  Free->moveBefore(HeapT);
  handHookACopy(*Free, StackT, Plan);
}

/// `tail` promises the callee does not access the caller's allocas.  A
/// promoted object reaches a callee through any argument that is not a
/// constant: a pointer, or its bits in an integer or a float (a union passed
/// by value is an i64).
static void clearTailMarkers(Function &F) {
  for (Instruction &I : instructions(F))
    if (auto *CI = dyn_cast<CallInst>(&I))
      if (CI->isTailCall() && !CI->isMustTailCall() &&
          any_of(CI->args(),
                 [](const Use &U) { return !isa<Constant>(U.get()); }))
        CI->setTailCallKind(CallInst::TCK_None);
}

/// Inlines the wrapper calls whose result stays local, so that the
/// allocation inside becomes a site of the caller, and the realloc wrapper
/// calls that grow a buffer otherwise promoted.  Adds the callers that
/// changed to \p Changed.
static void inlineWrappers(const EscapeInfo &Info,
                           SmallSetVector<Function *, 8> &Changed) {
  SmallVector<CallBase *, 4> Calls;
  for (const auto &[F, FI] : Info.Functions)
    for (const AllocSite &S : FI.Sites) {
      if (S.InlineWrapper)
        Calls.push_back(S.Call);
      append_range(Calls, S.InlineReallocWrappers);
    }
  for (CallBase *CB : Calls) {
    InlineFunctionInfo IFI;
    Function *Caller = CB->getFunction();
    LLVM_DEBUG(dbgs() << "escalloc: inlining wrapper call " << *CB << "\n");
    if (InlineFunction(*CB, IFI).isSuccess()) {
      ++NumWrappersInlined;
      Changed.insert(Caller);
    }
  }
}

/// Analyses of the functions in \p Changed are dropped; those of every other
/// function stay valid (the inventory's tags are metadata no analysis
/// reads), which spares the passes after us recomputing them module-wide.
static PreservedAnalyses
invalidateChanged(ArrayRef<Function *> Changed, FunctionAnalysisManager &FAM) {
  for (Function *F : Changed)
    FAM.invalidate(*F, PreservedAnalyses::none());
  PreservedAnalyses PA;
  PA.preserve<FunctionAnalysisManagerModuleProxy>();
  PA.preserveSet<AllAnalysesOn<Function>>();
  return PA;
}

PreservedAnalyses HeapToStackPass::run(Module &M, ModuleAnalysisManager &AM) {
  auto &FAM = AM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
  if (reportDefinedAllocator(M, FAM))
    return PreservedAnalyses::all(); // the program's allocator: calls keep their meaning
  SmallSetVector<Function *, 8> Changed;
  // Wrappers of wrappers need a round each; a few are plenty.
  for (unsigned Round = 0; Round < 4; ++Round) {
    SmallSetVector<Function *, 8> Inlined;
    inlineWrappers(AM.getResult<EscapeAnalysis>(M), Inlined);
    if (Inlined.empty())
      break;
    Changed.insert(Inlined.begin(), Inlined.end());
    AM.invalidate(M, invalidateChanged(Inlined.getArrayRef(), FAM));
  }
  const EscapeInfo &Info = AM.getResult<EscapeAnalysis>(M);
  reportVanishedSites(M, FAM);
  const HookFreeSet HookCalls = hookFrees(Info, FAM);
  DestClones Dest(M, Info, FAM);

  for (const auto &[CF, FI] : Info.Functions) {
    Function &F = *const_cast<Function *>(CF);
    auto &ORE = FAM.getResult<OptimizationRemarkEmitterAnalysis>(F);
    emitSummaries(ORE, F, FI);
    // Decide which objects need the guard before any rewrite changes their
    // uses.  In a recursive function none is exempt.
    bool Promoted = false;
    SmallVector<const AllocSite *, 4> Guarded;
    for (const AllocSite &S : FI.Sites) {
      // An object built by a callee is in memory, never in registers.
      bool Guard = S.Promote && stackGuardEnabled() &&
                   (FI.Recursive || FI.HiddenRecursion || S.DestCallee ||
                    !needsNoGuard(S));
      if (Guard)
        Guarded.push_back(&S);
      Promoted |= S.Promote;
    }
    FramePlan Plan(FI, FAM.getResult<TargetLibraryAnalysis>(F), Dest, Guarded,
                   HookCalls);
    for (const AllocSite &S : FI.Sites)
      emitDecision(ORE, S, Plan.Guarded.contains(&S), Plan.keptOf(S));
    if (!Promoted)
      continue;
    for (const AllocSite &S : FI.Sites)
      if (S.Promote && !is_contained(Guarded, &S))
        promote(S, Plan);
    if (!Guarded.empty())
      promoteGuardedSites(F, Guarded, Plan);
    for (auto &[Free, Sites] : Plan.Owners)
      if (Plan.shared(Free))
        rewriteSharedFree(Free, Plan);
    clearTailMarkers(F);
    if (FI.PromotedBytes > ProbeThreshold && !F.hasFnAttribute("probe-stack"))
      F.addFnAttr("probe-stack", "inline-asm");
    Changed.insert(&F);
  }
  // The clones last: each copies its function as rewritten above.
  for (Function *C : Dest.finish())
    Changed.insert(C);
  if (stackGuardEnabled()) {
    SmallVector<Function *, 4> Noted;
    noteForeignStacks(M, Noted);
    Changed.insert(Noted.begin(), Noted.end());
  }
  if (ChangedFunctions)
    ChangedFunctions->append(Changed.begin(), Changed.end());
  bool Stripped = stripInventory(M);
  if (Changed.empty())
    return Stripped ? invalidateChanged({}, FAM) : PreservedAnalyses::all();
  return invalidateChanged(Changed.getArrayRef(), FAM);
}

} // namespace escalloc
