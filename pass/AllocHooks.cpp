//===- AllocHooks.cpp - Allocation through function pointers --------------===//
//
// Recognition of calls through allocation hooks, and the proof that a slot
// holds a copy of a global's hook (see AllocHooks.h); the
// analysis (EscapeAnalysis.cpp) and the rewrite (HeapToStack.cpp) use it.
//
//===----------------------------------------------------------------------===//
#include "AllocHooks.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/Analysis/ConstantFolding.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/BinaryFormat/Dwarf.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Operator.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"

using namespace llvm;

#define DEBUG_TYPE "escalloc"

namespace escalloc {

static cl::opt<bool> Hooks(
    "escalloc-hooks", cl::init(true),
    cl::desc("Promote allocations made through a function pointer loaded "
             "from a global initialised to malloc (cJSON's global_hooks), "
             "speculatively: the stack when the pointer is malloc at run "
             "time (default true)"));

static cl::opt<bool> WrapperHooks(
    "escalloc-wrapper-hooks", cl::init(true),
    cl::desc("Promote allocations made through a wrapper that forwards to "
             "malloc under a test of globals (gawk's pma_malloc), "
             "speculatively: the stack when the wrapper's path to malloc is "
             "taken at run time (default true)"));

static cl::opt<unsigned> WrapperBlocks(
    "escalloc-wrapper-hook-blocks", cl::init(16), cl::Hidden,
    cl::desc("Blocks searched in a callee for its path to malloc or free"));

bool hooksEnabled() { return Hooks; }
bool wrapperHooksEnabled() { return WrapperHooks; }

/// The member of \p T (through typedefs) at byte \p Off, or "".
static std::string memberAt(const DIType *T, uint64_t Off) {
  while (const auto *D = dyn_cast_or_null<DIDerivedType>(T)) {
    if (D->getTag() != dwarf::DW_TAG_typedef &&
        D->getTag() != dwarf::DW_TAG_const_type &&
        D->getTag() != dwarf::DW_TAG_volatile_type)
      break;
    T = D->getBaseType();
  }
  const auto *C = dyn_cast_or_null<DICompositeType>(T);
  if (!C)
    return "";
  for (const DINode *E : C->getElements())
    if (const auto *M = dyn_cast<DIDerivedType>(E))
      if (M->getTag() == dwarf::DW_TAG_member &&
          M->getOffsetInBits() == Off * 8 && !M->getName().empty())
        return M->getName().str();
  return "";
}

/// \p G at byte \p Offset as C names it: `state.init`, else `state.0`.
static std::string globalName(const GlobalVariable &G, uint64_t Offset) {
  std::string Name = G.getName().str();
  SmallVector<DIGlobalVariableExpression *, 1> GVs;
  G.getDebugInfo(GVs);
  for (DIGlobalVariableExpression *GVE : GVs) {
    if (DIGlobalVariable *V = GVE->getVariable()) {
      if (!V->getName().empty())
        Name = V->getName().str();
      // GlobalOpt splits a struct global into one per member (a fragment
      // of the variable each): the offset is then the fragment's.
      uint64_t Off = Offset;
      if (DIExpression *E = GVE->getExpression())
        if (auto Frag = E->getFragmentInfo())
          Off += Frag->OffsetInBits / 8;
      std::string M = memberAt(V->getType(), Off);
      if (!M.empty())
        return Name + "." + M;
    }
  }
  return Offset ? Name + "+" + std::to_string(Offset) : Name;
}

std::string hookName(const AllocHook &H) {
  if (H.Wrapper)
    return H.Wrapper->getName().str();
  return globalName(*H.Global, H.Offset);
}

static cl::opt<unsigned> CopyBudget(
    "escalloc-hook-copy-budget", cl::init(2048), cl::Hidden,
    cl::desc("Uses the proof that a hook slot holds a copy of a global's "
             "hook may visit per call (default 2048)"));

namespace {
/// Where a slot's content comes from: the global whose initializer holds the
/// hook, and the byte offset there.
struct Source {
  const GlobalVariable *G = nullptr;
  uint64_t Off = 0;
  bool operator==(const Source &O) const { return G == O.G && Off == O.Off; }
};

/// A proof in progress that memory at a pointer plus an offset holds only
/// what was copied from one global's slot (AllocHooks.h, "copies").  Every
/// question it cannot answer within its budget is a no.
class SlotProof {
  const DataLayout &DL;
  unsigned Budget = CopyBudget;
  /// Parameters whose slot is being proven (a recursive call passes its own
  /// parameter on: coinductively, it adds no source of its own).
  SmallVector<std::pair<const Argument *, int64_t>, 4> InProgress;

  bool spend() { return Budget && Budget--; }

  /// \p V at \p Off from its base, stripped of constant offsets.
  const Value *base(const Value *V, int64_t &Off) const {
    APInt A(DL.getIndexTypeSizeInBits(V->getType()), 0);
    V = V->stripAndAccumulateConstantOffsets(DL, A, /*AllowNonInbounds=*/true);
    Off += A.getSExtValue();
    return V;
  }

  /// A parameter of a function defined here, called only directly.
  static bool localParam(const Argument &A) {
    const Function &F = *A.getParent();
    if (!F.hasLocalLinkage() || F.isVarArg())
      return false;
    for (const Use &U : F.uses()) {
      const auto *CB = dyn_cast<CallBase>(U.getUser());
      if (!CB || !CB->isCallee(&U) ||
          CB->getFunctionType() != F.getFunctionType() ||
          CB->arg_size() <= A.getArgNo())
        return false;
    }
    return true;
  }

  /// Merges \p S into \p Acc: every source must agree.
  static bool agree(std::optional<Source> &Acc, const Source &S) {
    if (Acc && !(*Acc == S))
      return false;
    Acc = S;
    return true;
  }

  /// Every use of \p A's memory, as \p V (= A + \p VOff), reads or writes
  /// outside [Off, Off + 8), or writes the slot from \p Acc's source.
  bool usesKeepSlot(const Value *V, int64_t VOff, int64_t Off,
                    std::optional<Source> &Acc,
                    DenseSet<std::pair<const Value *, int64_t>> &Seen);

public:
  explicit SlotProof(const DataLayout &DL) : DL(DL) {}

  /// The memory at \p P + \p Off holds only a copy of Source's slot.
  std::optional<Source> slot(const Value *P, int64_t Off);
};
} // namespace

std::optional<Source> SlotProof::slot(const Value *P, int64_t Off) {
  if (!spend())
    return std::nullopt;
  P = base(P, Off);
  if (Off < 0)
    return std::nullopt;
  if (const auto *G = dyn_cast<GlobalVariable>(P))
    return Source{G, uint64_t(Off)};
  if (const auto *A = dyn_cast<Argument>(P)) {
    if (!localParam(*A) || !A->getType()->isPointerTy())
      return std::nullopt;
    std::pair<const Argument *, int64_t> Key{A, Off};
    if (is_contained(InProgress, Key))
      return Source{}; // no source of its own
    InProgress.push_back(Key);
    std::optional<Source> Acc;
    bool OK = true;
    for (const Use &U : A->getParent()->uses()) {
      std::optional<Source> S =
          slot(cast<CallBase>(U.getUser())->getArgOperand(A->getArgNo()), Off);
      if (!S || (S->G && !agree(Acc, *S))) {
        OK = false;
        break;
      }
    }
    InProgress.pop_back();
    if (!OK)
      return std::nullopt;
    // Only recursive calls: the parameter never gets a first value.
    if (!Acc)
      return InProgress.empty() ? std::nullopt : std::optional(Source{});
    return Acc;
  }
  if (const auto *AI = dyn_cast<AllocaInst>(P)) {
    std::optional<Source> Acc;
    DenseSet<std::pair<const Value *, int64_t>> Seen;
    if (!usesKeepSlot(AI, 0, Off, Acc, Seen) || !Acc || !Acc->G)
      return std::nullopt;
    return Acc;
  }
  return std::nullopt;
}

bool SlotProof::usesKeepSlot(
    const Value *V, int64_t VOff, int64_t Off, std::optional<Source> &Acc,
    DenseSet<std::pair<const Value *, int64_t>> &Seen) {
  if (!Seen.insert({V, VOff}).second)
    return true; // walked (a recursive callee's parameter)
  // [Lo, Lo + Len) of the object written at \p Lo overlaps the slot.
  auto Overlaps = [&](int64_t Lo, uint64_t Len) {
    return Lo < Off + 8 && Off < Lo + int64_t(Len);
  };
  for (const Use &U : V->uses()) {
    if (!spend())
      return false;
    const auto *I = cast<Instruction>(U.getUser());
    if (isa<LoadInst>(I) || isa<ICmpInst>(I))
      continue;
    if (const auto *GEP = dyn_cast<GEPOperator>(I)) {
      APInt A(DL.getIndexTypeSizeInBits(GEP->getType()), 0);
      if (!GEP->accumulateConstantOffset(DL, A) ||
          !usesKeepSlot(GEP, VOff + A.getSExtValue(), Off, Acc, Seen))
        return false;
      continue;
    }
    // A merge with other pointers: a write through it may be ours.
    if (isa<BitCastInst>(I) || isa<AddrSpaceCastInst>(I) || isa<PHINode>(I) ||
        (isa<SelectInst>(I) && U.getOperandNo() != 0)) {
      if (!usesKeepSlot(I, VOff, Off, Acc, Seen))
        return false;
      continue;
    }
    if (const auto *SI = dyn_cast<StoreInst>(I)) {
      if (U.getOperandNo() != SI->getPointerOperandIndex())
        return false; // the pointer itself escapes
      uint64_t Len = DL.getTypeStoreSize(SI->getValueOperand()->getType());
      if (!Overlaps(VOff, Len))
        continue;
      const Value *X = SI->getValueOperand();
      if (isa<ConstantPointerNull>(X) || isa<UndefValue>(X))
        continue; // calling it is undefined either way
      const auto *L = dyn_cast<LoadInst>(X);
      std::optional<Source> S;
      if (VOff != Off || !L || !L->getType()->isPointerTy() ||
          !(S = slot(L->getPointerOperand(), 0)) || !S->G || !agree(Acc, *S))
        return false;
      continue;
    }
    if (const auto *II = dyn_cast<IntrinsicInst>(I)) {
      if (II->isLifetimeStartOrEnd() || II->isDroppable() ||
          isa<DbgInfoIntrinsic>(II))
        continue;
      if (const auto *MS = dyn_cast<MemSetInst>(II)) {
        // Zeros: a null hook, as undefined to call as before.
        if (const auto *C = dyn_cast<ConstantInt>(MS->getValue()))
          if (C->isZero())
            continue;
        const auto *Len = dyn_cast<ConstantInt>(MS->getLength());
        if (!Len || Overlaps(VOff, Len->getZExtValue()))
          return false;
        continue;
      }
      if (const auto *MT = dyn_cast<MemTransferInst>(II)) {
        if (U.getOperandNo() != 0) // read from
          continue;
        const auto *Len = dyn_cast<ConstantInt>(MT->getLength());
        if (!Len || MT->isVolatile())
          return false;
        uint64_t N = Len->getZExtValue();
        if (!Overlaps(VOff, N))
          continue;
        std::optional<Source> S;
        if (Off < VOff || Off + 8 > VOff + int64_t(N) ||
            !(S = slot(MT->getSource(), Off - VOff)) || !S->G ||
            !agree(Acc, *S))
          return false;
        continue;
      }
      return false;
    }
    if (const auto *CB = dyn_cast<CallBase>(I)) {
      // Passed to a function defined here: its parameter's uses are ours.
      const Function *F = CB->getCalledFunction();
      if (CB->isCallee(&U) || !F || F->isDeclaration() ||
          !F->hasLocalLinkage() || F->isVarArg() ||
          F->getFunctionType() != CB->getFunctionType() ||
          CB->isByValArgument(U.getOperandNo()) ||
          !usesKeepSlot(F->getArg(U.getOperandNo()), VOff, Off, Acc, Seen))
        return false;
      continue;
    }
    if (isa<ReturnInst>(I)) {
      // Returned (buffer_skip_whitespace's `return buffer`): each caller's
      // result is ours too.
      const Function &F = *I->getFunction();
      if (!F.hasLocalLinkage())
        return false;
      for (const Use &FU : F.uses()) {
        const auto *CB = dyn_cast<CallBase>(FU.getUser());
        if (!CB || !CB->isCallee(&FU) ||
            !usesKeepSlot(CB, VOff, Off, Acc, Seen))
          return false;
      }
      continue;
    }
    return false; // a ptrtoint, a store of the pointer...: not followed
  }
  return true;
}

/// The hook \p CB calls through, and its default library function: the
/// pointer is loaded from a global's slot, or from a slot that holds only a
/// copy of one (AllocHooks.h).
static std::optional<AllocHook> hookOf(const CallBase &CB,
                                       const TargetLibraryInfo &TLI) {
  if (!Hooks || !CB.isIndirectCall() || !isa<CallInst>(CB) ||
      CB.arg_size() != 1 || CB.hasOperandBundles())
    return std::nullopt;
  const auto *LI = dyn_cast<LoadInst>(CB.getCalledOperand());
  if (!LI || !LI->isSimple())
    return std::nullopt;
  // Only malloc's and free's shapes are worth a proof.
  FunctionType *FTy = CB.getFunctionType();
  Type *Arg = FTy->getParamType(0);
  if (FTy->getReturnType()->isPointerTy()
          ? !Arg->isIntegerTy()
          : !FTy->getReturnType()->isVoidTy() || !Arg->isPointerTy())
    return std::nullopt;
  const DataLayout &DL = CB.getDataLayout();
  std::optional<Source> S = SlotProof(DL).slot(LI->getPointerOperand(), 0);
  if (!S || !S->G || !S->G->hasInitializer())
    return std::nullopt;
  APInt Off(DL.getIndexTypeSizeInBits(S->G->getType()), S->Off);
  auto *F = dyn_cast_or_null<Function>(ConstantFoldLoadFromConst(
      const_cast<Constant *>(S->G->getInitializer()), LI->getType(), Off, DL));
  LibFunc LF;
  if (!F || !TLI.getLibFunc(*F, LF) || !TLI.has(LF))
    return std::nullopt;
  AllocHook H;
  H.Global = S->G;
  H.Offset = S->Off;
  H.Default = F;
  H.Func = LF;
  return H;
}

namespace {

using Edge = std::pair<const BasicBlock *, const BasicBlock *>;

/// A wrapper's path, for reading its values: the block each path block was
/// entered from.
class PathValues {
  DenseMap<const BasicBlock *, const BasicBlock *> PredOf;

public:
  explicit PathValues(ArrayRef<Edge> Path) {
    for (auto [From, To] : Path)
      PredOf[To] = From;
  }
  /// \p V as the path computes it: a phi of a path block is its incoming
  /// value from the block before; null off the path.
  const Value *resolve(const Value *V) const {
    for (unsigned N = 0; N <= PredOf.size(); ++N) {
      const auto *Phi = dyn_cast<PHINode>(V);
      if (!Phi)
        return V;
      const BasicBlock *Pred = PredOf.lookup(Phi->getParent());
      if (!Pred)
        return nullptr;
      V = Phi->getIncomingValueForBlock(Pred);
    }
    return nullptr;
  }
};

} // namespace

/// Nothing the program could observe: no store, call with effects,
/// volatile or atomic access.
static bool withoutEffects(const Instruction &I) {
  return !I.mayHaveSideEffects() && !isa<AllocaInst>(I) && !I.isEHPad();
}

/// Whether \p V, on the path, is a function of constants and simple loads
/// of globals only, each step safe to evaluate anywhere: then the caller
/// can evaluate it at the call as the wrapper would on entry.
static bool computable(const Value *V, const PathValues &P, unsigned Depth) {
  V = P.resolve(V);
  if (!V || Depth > 12)
    return false;
  if (isa<Constant>(V))
    return !isa<BlockAddress>(V);
  const auto *I = dyn_cast<Instruction>(V); // a parameter is not
  if (!I || isa<CallBase>(I) || isa<PHINode>(I) || I->isTerminator() ||
      !withoutEffects(*I) || !isSafeToSpeculativelyExecute(I))
    return false;
  if (const auto *LI = dyn_cast<LoadInst>(I)) {
    const auto *G = dyn_cast<GlobalVariable>(
        getUnderlyingObject(LI->getPointerOperand()));
    return LI->isSimple() && isa<Constant>(LI->getPointerOperand()) && G &&
           !G->isThreadLocal();
  }
  if (I->mayReadOrWriteMemory())
    return false;
  return all_of(I->operands(),
                [&](const Use &U) { return computable(U.get(), P, Depth + 1); });
}

/// The library call ending a wrapper's path: \p C calls malloc, calloc or
/// free with \p W's parameters in order, and what follows returns its
/// result (nothing after free) through unconditional branches and
/// instructions without effects, whose edges are appended to \p Path.
static std::optional<LibFunc> forwards(const CallBase &C, const Function &W,
                                       const TargetLibraryInfo &TLI,
                                       SmallVectorImpl<Edge> &Path) {
  const Function *F = C.getCalledFunction();
  LibFunc LF;
  if (!F || !isa<CallInst>(C) || C.hasOperandBundles() ||
      cast<CallInst>(C).isMustTailCall() || !TLI.getLibFunc(*F, LF) ||
      !TLI.has(LF) ||
      (LF != LibFunc_malloc && LF != LibFunc_calloc && LF != LibFunc_free &&
       LF != LibFunc_realloc) ||
      C.getFunctionType() != W.getFunctionType() ||
      F->getFunctionType() != W.getFunctionType())
    return std::nullopt;
  for (unsigned I = 0, E = C.arg_size(); I != E; ++I)
    if (C.getArgOperand(I) != W.getArg(I))
      return std::nullopt;
  size_t Before = Path.size();
  const Instruction *I = C.getNextNode();
  for (unsigned N = 0; I && N < 8;) {
    if (const auto *R = dyn_cast<ReturnInst>(I)) {
      if (LF == LibFunc_free ? !R->getReturnValue()
                             : R->getReturnValue() &&
                                   PathValues(Path).resolve(
                                       R->getReturnValue()) == &C)
        return LF;
      break;
    }
    if (const auto *Br = dyn_cast<BranchInst>(I);
        Br && Br->isUnconditional()) {
      const BasicBlock *Next = Br->getSuccessor(0);
      if (any_of(Path, [&](Edge E) { return E.first == Next; }) ||
          Next == C.getParent())
        break;
      Path.push_back({I->getParent(), Next});
      I = &Next->front();
      ++N;
      continue;
    }
    if (I->isTerminator() || !withoutEffects(*I))
      break;
    I = I->getNextNode();
  }
  Path.resize(Before);
  return std::nullopt;
}

namespace {

/// The search of a wrapper's body for a path without effects from its
/// entry to its call of the library.
struct PathSearch {
  const Function &W;
  const TargetLibraryInfo &TLI;
  unsigned Budget = WrapperBlocks;
  SmallVector<Edge, 8> Path;
  SmallPtrSet<const BasicBlock *, 8> OnPath;
  const CallBase *Call = nullptr;
  LibFunc Func = NotLibFunc;

  PathSearch(const Function &W, const TargetLibraryInfo &TLI)
      : W(W), TLI(TLI) {}
  bool from(const BasicBlock &BB) {
    if (!Budget-- || !OnPath.insert(&BB).second)
      return false;
    for (const Instruction &I : BB) {
      if (const auto *C = dyn_cast<CallBase>(&I))
        if (std::optional<LibFunc> LF = forwards(*C, W, TLI, Path)) {
          Call = C;
          Func = *LF;
          return true;
        }
      if (I.isTerminator())
        break;
      if (!withoutEffects(I))
        return fail(BB);
    }
    const Instruction *T = BB.getTerminator();
    if (const auto *Br = dyn_cast<BranchInst>(T)) {
      if (Br->isConditional() &&
          !computable(Br->getCondition(), PathValues(Path), 0))
        return fail(BB);
    } else if (const auto *SI = dyn_cast<SwitchInst>(T)) {
      if (!computable(SI->getCondition(), PathValues(Path), 0))
        return fail(BB);
    } else {
      return fail(BB);
    }
    SmallPtrSet<const BasicBlock *, 4> Tried;
    for (const BasicBlock *Succ : successors(&BB)) {
      if (!Tried.insert(Succ).second)
        continue;
      Path.push_back({&BB, Succ});
      if (from(*Succ))
        return true;
      Path.pop_back();
    }
    return fail(BB);
  }
  bool fail(const BasicBlock &BB) {
    OnPath.erase(&BB);
    return false;
  }
};

} // namespace

/// \p CB calls a wrapper with a library fallback (AllocHooks.h).
static std::optional<AllocHook> wrapperOf(const CallBase &CB,
                                          const TargetLibraryInfo &TLI) {
  const Function *W = CB.getCalledFunction();
  // The body is the one that runs: not replaceable at link or load time.
  if (!WrapperHooks || !W || !isa<CallInst>(CB) || CB.hasOperandBundles() ||
      !W->hasExactDefinition() || !W->isDSOLocal() ||
      CB.getFunctionType() != W->getFunctionType() || W->isVarArg())
    return std::nullopt;
  // malloc's, calloc's or free's shape; and not the library itself.
  Type *R = W->getReturnType();
  LibFunc Own;
  if (!(R->isPointerTy() || R->isVoidTy()) || W->arg_size() == 0 ||
      W->arg_size() > 2 || TLI.getLibFunc(*W, Own))
    return std::nullopt;
  PathSearch S(*W, TLI);
  if (!S.from(W->getEntryBlock()))
    return std::nullopt;
  AllocHook H;
  H.Default = S.Call->getCalledFunction();
  H.Func = S.Func;
  H.Wrapper = W;
  H.Path.assign(S.Path.begin(), S.Path.end());
  LLVM_DEBUG(dbgs() << "escalloc: " << W->getName() << " forwards to "
                    << H.Default->getName() << " when "
                    << hookSpeculation(H) << "\n");
  return H;
}

/// Clones \p V, computable on the path, before \p B's insertion point.
static Value *materialize(const Value *V, const PathValues &P,
                          DenseMap<const Value *, Value *> &Done,
                          IRBuilderBase &B) {
  V = P.resolve(V);
  assert(V && "a computable value is on the path");
  if (isa<Constant>(V))
    return const_cast<Value *>(V);
  if (Value *C = Done.lookup(V))
    return C;
  const auto *I = cast<Instruction>(V);
  Instruction *C = I->clone();
  for (Use &U : C->operands())
    U.set(materialize(U.get(), P, Done, B));
  C->dropUnknownNonDebugMetadata();
  C->setDebugLoc(DebugLoc());
  C->dropPoisonGeneratingFlags();
  B.Insert(C, I->hasName() ? "escalloc.w." + I->getName() : "escalloc.w");
  return Done[V] = C;
}

/// The wrapper's path predicate, evaluated before \p B's insertion point.
static Value *emitPathTaken(const AllocHook &H, IRBuilderBase &B) {
  PathValues P(H.Path);
  DenseMap<const Value *, Value *> Done;
  Value *Taken = nullptr;
  for (auto [From, To] : H.Path) {
    Value *Step = nullptr;
    const Instruction *T = From->getTerminator();
    if (const auto *Br = dyn_cast<BranchInst>(T)) {
      if (Br->isUnconditional() || Br->getSuccessor(0) == Br->getSuccessor(1))
        continue;
      Step = materialize(Br->getCondition(), P, Done, B);
      if (Br->getSuccessor(0) != To)
        Step = B.CreateNot(Step);
    } else {
      const auto *SI = cast<SwitchInst>(T);
      Value *X = materialize(SI->getCondition(), P, Done, B);
      Value *Matched = B.getFalse(), *NoCase = B.getTrue();
      for (const auto &Case : SI->cases()) {
        Value *Eq = B.CreateICmpEQ(X, const_cast<ConstantInt *>(Case.getCaseValue()));
        if (Case.getCaseSuccessor() == To)
          Matched = B.CreateOr(Matched, Eq);
        NoCase = B.CreateAnd(NoCase, B.CreateNot(Eq));
      }
      Step = SI->getDefaultDest() == To ? B.CreateOr(Matched, NoCase) : Matched;
    }
    // The wrapper evaluates a step only when the steps before hold.
    Taken = Taken ? B.CreateLogicalAnd(Taken, Step) : Step;
  }
  return Taken ? Taken : B.getTrue();
}

/// The hook \p CB calls through, whichever kind: a pointer or a wrapper.
static std::optional<AllocHook> anyHook(const CallBase &CB,
                                        const TargetLibraryInfo &TLI) {
  if (std::optional<AllocHook> H = allocHook(CB, TLI))
    return H;
  if (std::optional<AllocHook> H = reallocHook(CB, TLI))
    return H;
  return freeHook(CB, TLI);
}

Value *emitIsDefault(CallBase &CB, const TargetLibraryInfo &TLI,
                     IRBuilderBase &B, const Twine &Name) {
  std::optional<AllocHook> H = anyHook(CB, TLI);
  // Not a hook (any more): the call may do anything else.
  if (!H)
    return B.getFalse();
  if (!H->Wrapper)
    return B.CreateICmpEQ(CB.getCalledOperand(), H->Default, Name);
  Value *Taken = emitPathTaken(*H, B);
  Taken->setName(Name);
  return Taken;
}

Value *emitReplaced(CallBase &CB, const TargetLibraryInfo &TLI,
                    IRBuilderBase &B, const Twine &Name) {
  std::optional<AllocHook> H = anyHook(CB, TLI);
  if (!H)
    return B.getTrue();
  if (!H->Wrapper)
    return B.CreateICmpNE(CB.getCalledOperand(), H->Default, Name);
  return B.CreateNot(emitPathTaken(*H, B), Name);
}

/// \p V as C would write it, for remarks; "..." beyond what is spelt.
static std::string spell(const Value *V, const PathValues &P, unsigned Depth,
                         bool Negate = false) {
  V = P.resolve(V);
  if (!V || Depth > 4)
    return "...";
  if (Negate && !isa<ICmpInst>(V))
    return "!(" + spell(V, P, Depth) + ")";
  if (const auto *CI = dyn_cast<ConstantInt>(V))
    return CI->getBitWidth() == 1 ? (CI->isOne() ? "true" : "false")
                                  : std::to_string(CI->getSExtValue());
  if (isa<ConstantPointerNull>(V))
    return "NULL";
  if (const auto *LI = dyn_cast<LoadInst>(V)) {
    const DataLayout &DL = LI->getDataLayout();
    APInt Off(DL.getIndexTypeSizeInBits(LI->getPointerOperandType()), 0);
    if (const auto *G = dyn_cast<GlobalVariable>(
            LI->getPointerOperand()->stripAndAccumulateConstantOffsets(
                DL, Off, /*AllowNonInbounds=*/true)))
      if (!Off.isNegative())
        return globalName(*G, Off.getZExtValue());
    return "...";
  }
  if (const auto *Cmp = dyn_cast<ICmpInst>(V)) {
    CmpInst::Predicate Pred =
        Negate ? Cmp->getInversePredicate() : Cmp->getPredicate();
    std::string Op = ICmpInst::isUnsigned(Pred) ? "u" : "";
    switch (Pred) {
    case CmpInst::ICMP_EQ: Op = "=="; break;
    case CmpInst::ICMP_NE: Op = "!="; break;
    case CmpInst::ICMP_SLT: case CmpInst::ICMP_ULT: Op += "<"; break;
    case CmpInst::ICMP_SLE: case CmpInst::ICMP_ULE: Op += "<="; break;
    case CmpInst::ICMP_SGT: case CmpInst::ICMP_UGT: Op += ">"; break;
    default: Op += ">="; break;
    }
    return spell(Cmp->getOperand(0), P, Depth + 1) + " " + Op + " " +
           spell(Cmp->getOperand(1), P, Depth + 1);
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(V)) {
    const char *Op = BO->getOpcode() == Instruction::Add   ? " + "
                     : BO->getOpcode() == Instruction::Sub ? " - "
                     : BO->getOpcode() == Instruction::And ? " & "
                     : BO->getOpcode() == Instruction::Or  ? " | "
                                                           : nullptr;
    if (Op)
      return "(" + spell(BO->getOperand(0), P, Depth + 1) + Op +
             spell(BO->getOperand(1), P, Depth + 1) + ")";
  }
  if (const auto *C = dyn_cast<CastInst>(V))
    return spell(C->getOperand(0), P, Depth + 1);
  return "...";
}

std::string hookSpeculation(const AllocHook &H) {
  if (!H.Wrapper)
    return "hook " + hookName(H) + " equals " + H.Default->getName().str();
  PathValues P(H.Path);
  std::string Cond;
  for (auto [From, To] : H.Path) {
    const auto *Br = dyn_cast<BranchInst>(From->getTerminator());
    std::string Step;
    if (!Br) // a switch
      Step = spell(cast<SwitchInst>(From->getTerminator())->getCondition(), P,
                   0) + " selects its case";
    else if (Br->isUnconditional() ||
             Br->getSuccessor(0) == Br->getSuccessor(1))
      continue;
    else
      Step = spell(Br->getCondition(), P, 0, Br->getSuccessor(0) != To);
    Cond += (Cond.empty() ? "" : " && ") + Step;
  }
  return H.Wrapper->getName().str() + " forwards to " +
         H.Default->getName().str() + " when " +
         (Cond.empty() ? std::string("always") : Cond);
}

std::optional<AllocHook> allocHook(const CallBase &CB,
                                   const TargetLibraryInfo &TLI) {
  if (std::optional<AllocHook> W = wrapperOf(CB, TLI))
    return W->Func == LibFunc_malloc || W->Func == LibFunc_calloc
               ? W
               : std::nullopt;
  std::optional<AllocHook> H = hookOf(CB, TLI);
  // The call passes what malloc takes and expects what it returns.
  if (!H || H->Func != LibFunc_malloc ||
      CB.getFunctionType() != H->Default->getFunctionType())
    return std::nullopt;
  return H;
}

std::optional<AllocHook> reallocHook(const CallBase &CB,
                                     const TargetLibraryInfo &TLI) {
  std::optional<AllocHook> W = wrapperOf(CB, TLI);
  return W && W->Func == LibFunc_realloc ? W : std::nullopt;
}

std::optional<AllocHook> freeHook(const CallBase &CB,
                                  const TargetLibraryInfo &TLI) {
  if (std::optional<AllocHook> W = wrapperOf(CB, TLI))
    return W->Func == LibFunc_free ? W : std::nullopt;
  std::optional<AllocHook> H = hookOf(CB, TLI);
  if (!H || H->Func != LibFunc_free ||
      CB.getFunctionType() != H->Default->getFunctionType())
    return std::nullopt;
  return H;
}

} // namespace escalloc
