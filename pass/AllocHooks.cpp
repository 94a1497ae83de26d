//===- AllocHooks.cpp - Allocation through function pointers --------------===//
//
// Recognition of calls through allocation hooks (see AllocHooks.h); the
// analysis (EscapeAnalysis.cpp) and the rewrite (HeapToStack.cpp) use it.
//
//===----------------------------------------------------------------------===//
#include "AllocHooks.h"

#include "llvm/Analysis/ConstantFolding.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/BinaryFormat/Dwarf.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
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

/// The hook \p CB calls through, and its default library function.
static std::optional<AllocHook> hookOf(const CallBase &CB,
                                       const TargetLibraryInfo &TLI) {
  if (!Hooks || !CB.isIndirectCall() || !isa<CallInst>(CB) ||
      CB.arg_size() != 1 || CB.hasOperandBundles())
    return std::nullopt;
  const auto *LI = dyn_cast<LoadInst>(CB.getCalledOperand());
  if (!LI || !LI->isSimple())
    return std::nullopt;
  const DataLayout &DL = CB.getDataLayout();
  APInt Off(DL.getIndexTypeSizeInBits(LI->getPointerOperandType()), 0);
  const auto *G = dyn_cast<GlobalVariable>(
      LI->getPointerOperand()->stripAndAccumulateConstantOffsets(
          DL, Off, /*AllowNonInbounds=*/true));
  if (!G || !G->hasInitializer() || Off.isNegative())
    return std::nullopt;
  auto *F = dyn_cast_or_null<Function>(ConstantFoldLoadFromConst(
      const_cast<Constant *>(G->getInitializer()), LI->getType(), Off, DL));
  LibFunc LF;
  if (!F || !TLI.getLibFunc(*F, LF) || !TLI.has(LF))
    return std::nullopt;
  AllocHook H;
  H.Global = G;
  H.Offset = Off.getZExtValue();
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
      (LF != LibFunc_malloc && LF != LibFunc_calloc && LF != LibFunc_free) ||
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
    return W->Func == LibFunc_free ? std::nullopt : W;
  std::optional<AllocHook> H = hookOf(CB, TLI);
  // The call passes what malloc takes and expects what it returns.
  if (!H || H->Func != LibFunc_malloc ||
      CB.getFunctionType() != H->Default->getFunctionType())
    return std::nullopt;
  return H;
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
