//===- StackGuard.cpp - Run-time stack guard for promoted objects ---------===//
//
// A frame whose promoted objects need the guard gets, after its static
// allocas:
//   entry: %low  = ptrtoint(llvm.stacksave()) - Bytes
//          %g    = threadlocal_address @__escalloc_stack       ; {lo, size}
//          %room = (%low - %g.lo) <u %g.size
//          br %room, fast, slow                                ; slow: cold
//   slow:  %ok2  = call @__escalloc_stack_room(%low)           ; first call of
//          br %ok2, fast, cont                                 ; a thread
//   fast:  %blk  = alloca i8, Bytes, align A                   ; dynamic
//   cont:  %ok   = phi [true, fast], [false, slow]
//          %base = phi [%blk, fast], [null, slow]
// and each site picks its slot in %blk when %ok, its allocator otherwise
// (HeapToStack.cpp).  The block is a dynamic alloca because a static one is
// reserved by the prologue, before any check could run.
//
// The bounds are a thread-local pair each module defines (linkonce_odr,
// hidden, initial-exec: two loads off %fs); the helper that fills them on a
// thread's first check is linkonce_odr too and calls the runtime's
// escalloc_stack_guard_init through a weak reference.  Without the runtime
// the bounds stay {0, 0} and every guarded object takes the heap, so
// programs built with -escalloc-lower=false, libraries and --rt=none links
// stay correct; they keep only the unguarded promotions.
//
//===----------------------------------------------------------------------===//
#include "StackGuard.h"
#include "EscapeAnalysis.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

#define DEBUG_TYPE "escalloc"

using namespace llvm;

namespace escalloc {

static cl::opt<bool> StackGuard(
    "escalloc-stack-guard", cl::init(true),
    cl::desc("Check at run time that the thread's stack has room before "
             "placing promoted objects on it, the heap otherwise (default "
             "true)"));
static cl::opt<uint64_t> UnguardedSize(
    "escalloc-unguarded-size", cl::init(256),
    cl::desc("Largest object promoted without the stack guard when every use "
             "is a load or store at a constant offset (SROA makes it "
             "registers); 0 guards every object (default 256)"));

static constexpr StringLiteral BoundsName = "__escalloc_stack";
static constexpr StringLiteral RoomName = "__escalloc_stack_room";
static constexpr StringLiteral InitName = "escalloc_stack_guard_init";
static constexpr StringLiteral RecordName = "__escalloc_stack_record";
static constexpr StringLiteral RecordHookName = "escalloc_stack_guard_record";

bool stackGuardEnabled() { return StackGuard; }

bool needsNoGuard(const AllocSite &S) {
  if (S.RuntimeFallback || S.CopiesString || !S.Reallocs.empty() ||
      S.ThroughHook ||
      S.Size > UnguardedSize)
    return false;
  SmallPtrSet<const Value *, 2> Frees(S.Frees.begin(), S.Frees.end());
  SmallVector<const Value *, 8> Work{S.Call};
  while (!Work.empty()) {
    const Value *V = Work.pop_back_val();
    for (const Use &U : V->uses()) {
      const auto *I = cast<Instruction>(U.getUser());
      if (const auto *L = dyn_cast<LoadInst>(I)) {
        if (!L->isSimple())
          return false;
      } else if (const auto *St = dyn_cast<StoreInst>(I)) {
        if (!St->isSimple() ||
            U.getOperandNo() != StoreInst::getPointerOperandIndex())
          return false;
      } else if (const auto *G = dyn_cast<GetElementPtrInst>(I)) {
        if (!G->hasAllConstantIndices())
          return false;
        Work.push_back(G);
      } else if (const auto *MI = dyn_cast<MemIntrinsic>(I)) {
        if (MI->isVolatile() || !isa<ConstantInt>(MI->getLength()))
          return false;
      } else if (const auto *Cmp = dyn_cast<ICmpInst>(I)) {
        // `if (!p)` of the object itself: folded by the rewrite.
        if (V != S.Call || !Cmp->isEquality() ||
            !isa<ConstantPointerNull>(Cmp->getOperand(1)))
          return false;
      } else if (!Frees.contains(I)) {
        LLVM_DEBUG(dbgs() << "escalloc: guard needed for " << *S.Call
                          << " (use " << *I << ")\n");
        return false;
      }
    }
  }
  return true;
}

/// The thread's bounds: {lowest address, size} of the promotion area at the
/// top of its stack (rtlib/stackguard.c).
static GlobalVariable *getBounds(Module &M) {
  if (GlobalVariable *G = M.getGlobalVariable(BoundsName))
    return G;
  auto *Ty = ArrayType::get(Type::getInt64Ty(M.getContext()), 2);
  auto *G = new GlobalVariable(M, Ty, false, GlobalValue::LinkOnceODRLinkage,
                               Constant::getNullValue(Ty), BoundsName, nullptr,
                               GlobalValue::InitialExecTLSModel);
  G->setVisibility(GlobalValue::HiddenVisibility);
  G->setComdat(M.getOrInsertComdat(BoundsName));
  G->setAlignment(Align(16));
  return G;
}

/// i1 __escalloc_stack_room(i64 low): fills the bounds on a thread's first
/// call (when the runtime is linked) and checks \p low against them.
static Function *getRoomHelper(Module &M) {
  if (Function *F = M.getFunction(RoomName))
    return F;
  LLVMContext &Ctx = M.getContext();
  Type *I64 = Type::getInt64Ty(Ctx);
  auto *PtrTy = PointerType::getUnqual(Ctx);
  auto *F = Function::Create(
      FunctionType::get(Type::getInt1Ty(Ctx), {I64}, false),
      GlobalValue::LinkOnceODRLinkage, RoomName, M);
  F->setVisibility(GlobalValue::HiddenVisibility);
  F->setComdat(M.getOrInsertComdat(RoomName));
  F->addFnAttr(Attribute::NoInline);
  F->addFnAttr(Attribute::Cold);
  F->addFnAttr(Attribute::NoUnwind);
  F->addRetAttr(Attribute::ZExt);
  auto *Init = cast<Function>(
      M.getOrInsertFunction(InitName,
                            FunctionType::get(Type::getVoidTy(Ctx), {PtrTy},
                                              false))
          .getCallee());
  Init->setLinkage(GlobalValue::ExternalWeakLinkage);

  BasicBlock *Entry = BasicBlock::Create(Ctx, "entry", F);
  BasicBlock *Fill = BasicBlock::Create(Ctx, "fill", F);
  BasicBlock *Check = BasicBlock::Create(Ctx, "check", F);
  IRBuilder<> B(Entry);
  Value *G = B.CreateThreadLocalAddress(getBounds(M));
  Value *SizeAt = B.CreateConstInBoundsGEP1_64(I64, G, 1);
  Value *Unset =
      B.CreateICmpEQ(B.CreateAlignedLoad(I64, SizeAt, Align(8)), B.getInt64(0));
  Value *Linked =
      B.CreateICmpNE(Init, ConstantPointerNull::get(PtrTy), "linked");
  B.CreateCondBr(B.CreateAnd(Unset, Linked), Fill, Check);
  B.SetInsertPoint(Fill);
  B.CreateCall(Init, {G});
  B.CreateBr(Check);
  B.SetInsertPoint(Check);
  Value *Lo = B.CreateAlignedLoad(I64, G, Align(8), "lo");
  Value *Size = B.CreateAlignedLoad(I64, SizeAt, Align(8), "size");
  B.CreateRet(B.CreateICmpULT(B.CreateSub(F->getArg(0), Lo), Size));
  return F;
}

/// The first instruction of \p Entry after its static allocas (moving any
/// static alloca found later up, so that none ends up past the split).
static Instruction *afterStaticAllocas(BasicBlock &Entry) {
  SmallVector<AllocaInst *, 4> Late;
  Instruction *First = nullptr;
  for (Instruction &I : Entry) {
    auto *AI = dyn_cast<AllocaInst>(&I);
    if (AI && AI->isStaticAlloca()) {
      if (First)
        Late.push_back(AI);
    } else if (!First) {
      First = &I;
    }
  }
  for (AllocaInst *AI : Late)
    AI->moveBefore(First);
  return First;
}

GuardedBlock emitStackGuard(Function &F, uint64_t Bytes, Align A) {
  Module &M = *F.getParent();
  LLVMContext &Ctx = F.getContext();
  Type *I64 = Type::getInt64Ty(Ctx);
  Instruction *At = afterStaticAllocas(F.getEntryBlock());
  IRBuilder<> B(At);
  Value *SP = B.CreatePtrToInt(B.CreateStackSave(), I64);
  Value *Low = B.CreateSub(SP, B.getInt64(Bytes), "escalloc.low");
  Value *G = B.CreateThreadLocalAddress(getBounds(M));
  Value *Lo = B.CreateAlignedLoad(I64, G, Align(8), "escalloc.lo");
  Value *Size = B.CreateAlignedLoad(
      I64, B.CreateConstInBoundsGEP1_64(I64, G, 1), Align(8), "escalloc.size");
  Value *Room = B.CreateICmpULT(B.CreateSub(Low, Lo), Size, "escalloc.room");
  BasicBlock *Head = At->getParent();
  BasicBlock *Cont = SplitBlock(Head, At);
  Cont->setName("escalloc.cont");
  BasicBlock *Slow =
      BasicBlock::Create(Ctx, "escalloc.slow", &F, Cont);
  BasicBlock *Fast = BasicBlock::Create(Ctx, "escalloc.fast", &F, Cont);
  Head->getTerminator()->eraseFromParent();
  B.SetInsertPoint(Head);
  B.CreateCondBr(Room, Fast, Slow, MDBuilder(Ctx).createLikelyBranchWeights());

  B.SetInsertPoint(Slow);
  Value *SlowOk = B.CreateCall(getRoomHelper(M), {Low}, "escalloc.ok.slow");
  B.CreateCondBr(SlowOk, Fast, Cont);

  // Not in the entry block: a dynamic alloca, run once per call.
  B.SetInsertPoint(Fast);
  AllocaInst *Block = B.CreateAlloca(Type::getInt8Ty(Ctx), B.getInt64(Bytes),
                                     "escalloc.block");
  Block->setAlignment(A);
  B.CreateBr(Cont);

  // Without room the base is null: slots are then only compared with
  // pointers from the allocator.
  B.SetInsertPoint(Cont, Cont->begin());
  PHINode *Ok = B.CreatePHI(Type::getInt1Ty(Ctx), 2, "escalloc.ok");
  Ok->addIncoming(B.getTrue(), Fast);
  Ok->addIncoming(B.getFalse(), Slow);
  PHINode *Base = B.CreatePHI(Block->getType(), 2, "escalloc.base");
  Base->addIncoming(Block, Fast);
  Base->addIncoming(ConstantPointerNull::get(Block->getType()), Slow);
  LLVM_DEBUG(dbgs() << "escalloc: stack guard for " << Bytes << " bytes in "
                    << F.getName() << "\n");
  return {Ok, Base};
}

/// void __escalloc_stack_record(): asks the runtime (when linked) to record
/// the thread's stack and fill the bounds.
static Function *getRecordHelper(Module &M) {
  if (Function *F = M.getFunction(RecordName))
    return F;
  LLVMContext &Ctx = M.getContext();
  auto *PtrTy = PointerType::getUnqual(Ctx);
  auto *F = Function::Create(FunctionType::get(Type::getVoidTy(Ctx), false),
                             GlobalValue::LinkOnceODRLinkage, RecordName, M);
  F->setVisibility(GlobalValue::HiddenVisibility);
  F->setComdat(M.getOrInsertComdat(RecordName));
  F->addFnAttr(Attribute::NoInline);
  F->addFnAttr(Attribute::Cold);
  F->addFnAttr(Attribute::NoUnwind);
  auto *Hook = cast<Function>(
      M.getOrInsertFunction(RecordHookName,
                            FunctionType::get(Type::getVoidTy(Ctx), {PtrTy},
                                              false))
          .getCallee());
  Hook->setLinkage(GlobalValue::ExternalWeakLinkage);
  BasicBlock *Entry = BasicBlock::Create(Ctx, "entry", F);
  BasicBlock *Call = BasicBlock::Create(Ctx, "record", F);
  BasicBlock *Done = BasicBlock::Create(Ctx, "done", F);
  IRBuilder<> B(Entry);
  B.CreateCondBr(B.CreateICmpNE(Hook, ConstantPointerNull::get(PtrTy), "linked"),
                 Call, Done);
  B.SetInsertPoint(Call);
  B.CreateCall(Hook, {B.CreateThreadLocalAddress(getBounds(M))});
  B.CreateBr(Done);
  B.SetInsertPoint(Done);
  B.CreateRetVoid();
  return F;
}

void emitStackRecord(CallBase *AllocCall) {
  Module &M = *AllocCall->getModule();
  IRBuilder<> B(AllocCall);
  Type *I64 = B.getInt64Ty();
  Value *G = B.CreateThreadLocalAddress(getBounds(M));
  Value *Size = B.CreateAlignedLoad(
      I64, B.CreateConstInBoundsGEP1_64(I64, G, 1), Align(8), "escalloc.size");
  Value *Unset = B.CreateICmpEQ(Size, B.getInt64(0), "escalloc.unset");
  Instruction *Then = SplitBlockAndInsertIfThen(
      Unset, AllocCall, false,
      MDBuilder(M.getContext()).createUnlikelyBranchWeights());
  IRBuilder<>(Then).CreateCall(getRecordHelper(M));
}

// A coroutine stack or an alternate signal stack can be a local array, inside
// the thread's promotion area: code running there has its stack pointer
// within the bounds and would promote past the small stack's end.  The
// program's calls that hand such a stack to code are visible here, so the
// runtime is told before each (escalloc_stack_guard_makecontext and
// escalloc_stack_guard_sigaltstack, weak: nothing without the runtime) with
// this module's bounds, which it then keeps above that stack.
void noteForeignStacks(Module &M, SmallVectorImpl<Function *> &Changed) {
  static constexpr std::pair<StringLiteral, StringLiteral> Hooks[] = {
      {"makecontext", "escalloc_stack_guard_makecontext"},
      {"sigaltstack", "escalloc_stack_guard_sigaltstack"}};
  LLVMContext &Ctx = M.getContext();
  auto *PtrTy = PointerType::getUnqual(Ctx);
  for (const auto &[Name, HookName] : Hooks) {
    Function *Callee = M.getFunction(Name);
    if (!Callee || !Callee->isDeclaration())
      continue;
    SmallVector<CallBase *, 4> Calls;
    for (User *U : Callee->users())
      if (auto *CB = dyn_cast<CallBase>(U))
        if (CB->getCalledOperand() == Callee && CB->arg_size() >= 1 &&
            CB->getArgOperand(0)->getType()->isPointerTy() &&
            !isa<InvokeInst>(CB))
          Calls.push_back(CB);
    if (Calls.empty())
      continue;
    auto *Hook = cast<Function>(
        M.getOrInsertFunction(HookName, FunctionType::get(Type::getVoidTy(Ctx),
                                                          {PtrTy, PtrTy}, false))
            .getCallee());
    Hook->setLinkage(GlobalValue::ExternalWeakLinkage);
    for (CallBase *CB : Calls) {
      IRBuilder<> B(CB);
      Value *Linked =
          B.CreateICmpNE(Hook, ConstantPointerNull::get(PtrTy), "escalloc.linked");
      Instruction *Then = SplitBlockAndInsertIfThen(Linked, CB, false);
      B.SetInsertPoint(Then);
      Value *G = B.CreateThreadLocalAddress(getBounds(M));
      B.CreateCall(Hook, {CB->getArgOperand(0), G});
      LLVM_DEBUG(dbgs() << "escalloc: foreign stack noted before " << *CB
                        << "\n");
      Function *F = CB->getFunction();
      if (!is_contained(Changed, F))
        Changed.push_back(F);
    }
  }
}

} // namespace escalloc
