//===- EscapeAnalysis.cpp - Go-style escape analysis for C heap objects ---===//
//
// See EscapeAnalysis.h for the model.  This file owns the module driver:
// EscapeAnalysis::run, the bottom-up walk over call-graph SCCs that solves
// each function (FunctionAnalyzer.h), iterates recursive SCCs' summaries
// to a fixed point and decides its sites (SitePolicy.h); the cycles the
// call graph cannot see; allocation-wrapper detection; and print<escalloc>.
//
//===----------------------------------------------------------------------===//
#include "EscapeAnalysis.h"
#include "DestPassing.h"
#include "FunctionAnalyzer.h"
#include "AllocHooks.h"
#include "Remarks.h"
#include "SitePolicy.h"
#include "StackGuard.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SCCIterator.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Analysis/CallGraph.h"
#include "llvm/Analysis/CycleAnalysis.h"
#include "llvm/Analysis/InlineCost.h"
#include "llvm/Analysis/LazyValueInfo.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#define DEBUG_TYPE "escalloc"

using namespace llvm;

STATISTIC(NumSolves, "Functions solved for their summaries");
STATISTIC(NumSCCRounds, "Rounds over call-graph SCCs");

namespace escalloc {

static cl::opt<uint64_t> MaxFrame(
    "escalloc-max-frame", cl::init(16384),
    cl::desc("Most bytes of promoted objects one stack frame may gain "
             "(default 16384)"));
static cl::opt<uint64_t> OpaqueFrame(
    "escalloc-opaque-frame", cl::init(4096),
    cl::desc("Frame budget of a function that calls code outside the module "
             "(an external or indirect call), which may re-enter it through "
             "a cycle the module cannot see (default 4096)"));
static cl::opt<unsigned> WrapperSize(
    "escalloc-wrapper-size", cl::init(64),
    cl::desc("Largest allocation wrapper (in instructions) inlined into a "
             "caller where its result does not escape; 0 disables "
             "(default 64)"));

AnalysisKey EscapeAnalysis::Key;

bool EscapeInfo::invalidate(Module &, const PreservedAnalyses &PA,
                            ModuleAnalysisManager::Invalidator &) {
  auto PAC = PA.getChecker<EscapeAnalysis>();
  return !PAC.preserved() && !PAC.preservedSet<AllAnalysesOn<Module>>();
}

/// The frees of promoted objects that may also release an object staying on
/// the heap: another site kept there, a parameter's, or a pointer the
/// analysis cannot name (loaded from memory a callee may have rewritten).
/// Deleting such a free would leak that object; the rewrite keeps it behind
/// a check instead (HeapToStack.cpp).  A free whose every object is promoted
/// is not listed: the rewrite removes it, or guards it where one of them may
/// have taken the heap.
static void keptFrees(const FunctionAnalyzer &FA, FunctionEscapeInfo &FI,
                      const TargetLibraryInfo &TLI) {
  SmallDenseSet<unsigned, 8> Promoted;
  for (auto [Id, S] : zip(FA.SiteIds, FI.Sites))
    if (S.Promote)
      Promoted.insert(Id);
  for (const AllocSite &S : FI.Sites)
    for (CallBase *Free : S.Frees) {
      if (!S.Promote || is_contained(FI.KeptFrees, Free))
        continue;
      PtsSet Freed = FA.ptsOf(freedOperand(*Free, TLI));
      if (any_of(Freed, [&](unsigned X) { return !Promoted.contains(X); }))
        FI.KeptFrees.push_back(Free);
    }
}

/// Functions on a cycle the call graph cannot see: an indirect call may
/// reach any defined function whose address is taken, and a declaration
/// handed one of our functions may call it back.  Tarjan's algorithm over
/// that graph, iteratively; indirect calls go through one virtual node
/// (nullptr) that leads to every address-taken function, which keeps the
/// graph linear in the size of the module.
static DenseSet<const Function *> hiddenCycles(Module &M) {
  DenseMap<const Function *, SmallVector<const Function *, 4>> Succ;
  auto &Indirect = Succ[nullptr];
  for (Function &F : M)
    if (!F.isDeclaration() && F.hasAddressTaken())
      Indirect.push_back(&F);
  bool AnyHidden = false;
  for (Function &F : M) {
    if (F.isDeclaration())
      continue;
    auto &Out = Succ[&F];
    for (BasicBlock &BB : F)
      for (Instruction &I : BB) {
        auto *CB = dyn_cast<CallBase>(&I);
        if (!CB || isa<IntrinsicInst>(CB) || CB->isInlineAsm())
          continue;
        Function *Callee = CB->getCalledFunction();
        if (!Callee) {
          Out.push_back(nullptr);
          AnyHidden = true;
          continue;
        }
        if (!Callee->isDeclaration()) {
          Out.push_back(Callee);
          continue;
        }
        for (const Use &U : CB->args())
          if (auto *G = dyn_cast<Function>(U->stripPointerCasts()))
            if (!G->isDeclaration()) {
              Out.push_back(G);
              AnyHidden = true;
            }
      }
  }
  DenseSet<const Function *> OnCycle;
  if (!AnyHidden)
    return OnCycle; // the call graph's own SCCs say it all

  DenseMap<const Function *, unsigned> Index, Low;
  SmallVector<const Function *, 16> Stack;
  DenseSet<const Function *> OnStack;
  unsigned Next = 0;
  for (auto &Entry : Succ) {
    const Function *Root = Entry.first;
    if (Index.count(Root))
      continue;
    // Explicit DFS stack of (function, next successor).
    SmallVector<std::pair<const Function *, unsigned>, 16> DFS;
    auto Visit = [&](const Function *F) {
      Index[F] = Low[F] = Next++;
      Stack.push_back(F);
      OnStack.insert(F);
      DFS.push_back({F, 0});
    };
    Visit(Root);
    while (!DFS.empty()) {
      auto &[F, K] = DFS.back();
      const auto &Out = Succ.find(F)->second;
      if (K < Out.size()) {
        const Function *G = Out[K++];
        if (!Index.count(G))
          Visit(G);
        else if (OnStack.contains(G))
          Low[F] = std::min(Low[F], Index[G]);
        continue;
      }
      const Function *Done = F;
      DFS.pop_back();
      if (!DFS.empty())
        Low[DFS.back().first] = std::min(Low[DFS.back().first], Low[Done]);
      if (Low[Done] != Index[Done])
        continue;
      SmallVector<const Function *, 4> Component;
      const Function *X;
      do {
        X = Stack.pop_back_val();
        OnStack.erase(X);
        Component.push_back(X);
      } while (X != Done);
      bool Cycle = Component.size() > 1 ||
                   is_contained(Succ.find(Done)->second, Done);
      if (Cycle)
        for (const Function *C : Component)
          if (C)
            OnCycle.insert(C);
    }
  }
  return OnCycle;
}

/// An allocation wrapper returns one fresh site (or null) that escapes in no
/// other way.  Checked by solving again with returns not counted as escapes.
/// Returns that site, or null; \p Stored tells whether a pointer to it is
/// stored in some object (itself included), \p Frees its frees in \p F.
/// A site through an allocation hook (or a function whose destination goes
/// to one) also returns the user's allocator's memory, external: accepted
/// with \p ThroughHook set, and then external memory may be returned on any
/// path (a caller reads the result as it reads the hook's).
static CallBase *returnedFreshSite(Function &F, const FunctionAnalyzer &Solved,
                                   const TargetLibraryInfo &TLI,
                                   SummaryLookup Lookup, bool &Stored,
                                   SmallVectorImpl<CallBase *> &Frees,
                                   bool &ThroughHook) {
  ThroughHook = false;
  if (!F.getReturnType()->isPointerTy() || F.isVarArg() ||
      !F.hasExactDefinition() || Solved.CallsSetjmp || Solved.HasMustTail ||
      Solved.SiteIds.empty())
    return nullptr;
  // Cheap first: some return must yield a site.
  bool ReturnsSite = false;
  for (BasicBlock &BB : F)
    if (auto *RI = dyn_cast<ReturnInst>(BB.getTerminator()))
      for (unsigned X : Solved.ptsOf(RI->getReturnValue()))
        ReturnsSite |= Solved.Objs[X].Kind == ObjKind::Site;
  if (!ReturnsSite)
    return nullptr;
  FunctionAnalyzer W(F, TLI, Lookup);
  W.ReturnIsEscape = false;
  W.solve();
  int Site = -1;
  for (BasicBlock &BB : F)
    if (auto *RI = dyn_cast<ReturnInst>(BB.getTerminator())) {
      PtsSet S = W.ptsOf(RI->getReturnValue());
      // External memory beside a hook's site: what the hook may return.
      if (S.size() == 2 && S.contains(0)) {
        S.remove(0);
        if (!W.Objs[S[0]].IsHookCall)
          return nullptr;
        ThroughHook = true;
      }
      if (S.empty())
        continue; // returns null
      if (S.size() != 1 || (Site >= 0 && (int)S[0] != Site))
        return nullptr;
      Site = S[0];
    }
  if (Site < 0)
    return nullptr;
  const Obj &O = W.Objs[Site];
  ThroughHook |= O.IsHookCall;
  // A buffer that grows by realloc (a growable site) is not one object in
  // one place: neither inlined for it nor built in a caller's slot.
  if (O.Kind != ObjKind::Site || !O.Returned || O.Escaped || O.Pinned ||
      !O.Reallocs.empty())
    return nullptr;
  Stored = any_of(W.Objs, [&](const Obj &X) {
    return X.Contents.contains(unsigned(Site));
  });
  Frees.append(O.Frees.begin(), O.Frees.end());
  return cast<CallBase>(O.Def);
}

unsigned wrapperSizeLimit() { return WrapperSize; }

/// Whether \p V, a realloc's result in a realloc wrapper, reaches only
/// returns (through phis and selects with null) and null tests.
static bool onlyReturned(const Value *V, SmallPtrSetImpl<const Value *> &Seen) {
  if (!Seen.insert(V).second)
    return true;
  for (const User *U : V->users()) {
    if (isa<ReturnInst>(U))
      continue;
    if (auto *Cmp = dyn_cast<ICmpInst>(U)) {
      if (Cmp->isEquality() && (isa<ConstantPointerNull>(Cmp->getOperand(0)) ||
                                isa<ConstantPointerNull>(Cmp->getOperand(1))))
        continue;
      return false;
    }
    if (!isa<PHINode>(U) && !isa<SelectInst>(U))
      return false;
    if (auto *Sel = dyn_cast<SelectInst>(U))
      if (Sel->getCondition() == V)
        return false;
    // Every other incoming value is null or a value already seen.
    for (unsigned K = isa<SelectInst>(U) ? 1 : 0; K < U->getNumOperands();
         ++K) {
      const Value *In = U->getOperand(K);
      if (In != V && !isa<ConstantPointerNull>(In) && !Seen.count(In))
        return false;
    }
    if (!onlyReturned(U, Seen))
      return false;
  }
  return true;
}

static cl::opt<bool> ReallocWrappers(
    "escalloc-realloc-wrappers", cl::init(true),
    cl::desc("Read calls of realloc wrappers (an xrealloc) as realloc for "
             "growable buffers, inlining them where the buffer would be "
             "promoted (default true)"));

int reallocWrapperParam(const Function &F, const TargetLibraryInfo &TLI) {
  if (!ReallocWrappers || F.isDeclaration() || F.isVarArg() || !F.getReturnType()->isPointerTy() ||
      !WrapperSize || F.getInstructionCount() > WrapperSize)
    return -1;
  CallBase *Realloc = nullptr;
  for (const Instruction &I : instructions(F))
    if (auto *CB = dyn_cast<CallBase>(&I))
      if (libFuncOf(*CB, TLI) == LibFunc_realloc && CB->arg_size() == 2 &&
          isa<CallInst>(CB)) {
        if (Realloc)
          return -1; // two reallocs: not one realloc's meaning
        Realloc = const_cast<CallBase *>(CB);
      }
  if (!Realloc)
    return -1;
  auto *P = dyn_cast<Argument>(Realloc->getArgOperand(0));
  if (!P || !P->hasOneUse())
    return -1;
  SmallPtrSet<const Value *, 8> Seen;
  if (!onlyReturned(Realloc, Seen))
    return -1;
  // Every return returns the realloc's result or null.
  for (const BasicBlock &BB : F)
    if (auto *RI = dyn_cast<ReturnInst>(BB.getTerminator()))
      if (!Seen.count(RI->getReturnValue()) &&
          !isa<ConstantPointerNull>(RI->getReturnValue()))
        return -1;
  return P->getArgNo();
}

std::string wrapperInlineBlocker(CallBase &CB, FunctionAnalysisManager &FAM) {
  Function *Callee = CB.getCalledFunction();
  if (!Callee || Callee->isDeclaration())
    return "its body is not in the module";
  Function &Caller = *CB.getFunction();
  // The user's own words first: they asked for a function that stays one.
  if (Callee->hasFnAttribute(Attribute::NoInline) || CB.isNoInline())
    return "it is marked noinline";
  if (Callee->hasOptNone() || Caller.hasOptNone())
    return "it or its caller is marked optnone";
  // Code for other target features (target("avx2")) cannot run inside a
  // caller compiled without them: the backend cannot even lower it.
  if (!FAM.getResult<TargetIRAnalysis>(Caller).areInlineCompatible(&Caller,
                                                                   Callee))
    return "it is compiled for other target features than the caller";
  // Code that looks at its own frame sees the caller's once inlined.
  for (Instruction &I : instructions(*Callee))
    if (auto *II = dyn_cast<IntrinsicInst>(&I))
      switch (II->getIntrinsicID()) {
      case Intrinsic::frameaddress:
      case Intrinsic::sponentry:
        return "it reads its own frame address";
      case Intrinsic::returnaddress:
      case Intrinsic::addressofreturnaddress:
        return "it reads its return address";
      default:
        break;
      }
  // What LLVM's inliner itself refuses: other conflicting attributes
  // (sanitizers, null-pointer-is-valid, ...), interposable definitions, and
  // bodies that cannot be inlined at all (indirectbr, va_start, ...).
  auto GetTLI = [&](Function &G) -> const TargetLibraryInfo & {
    return FAM.getResult<TargetLibraryAnalysis>(G);
  };
  std::optional<InlineResult> ByAttrs = getAttributeBasedInliningDecision(
      CB, Callee, FAM.getResult<TargetIRAnalysis>(*Callee), GetTLI);
  if (ByAttrs && !ByAttrs->isSuccess())
    return ByAttrs->getFailureReason();
  InlineResult Viable = isInlineViable(*Callee);
  if (!Viable.isSuccess())
    return Viable.getFailureReason();
  return "";
}

/// For each function of a recursive SCC, the positions in \p Fns of the
/// functions that call it directly: the ones whose solve reads its summary
/// (FunctionAnalyzer::calleeInfo).
static SmallVector<SmallVector<unsigned, 4>, 0>
callersWithin(ArrayRef<Function *> Fns) {
  DenseMap<const Function *, unsigned> Pos;
  for (unsigned K = 0; K < Fns.size(); ++K)
    Pos[Fns[K]] = K;
  SmallVector<SmallVector<unsigned, 4>, 0> Callers(Fns.size());
  for (unsigned J = 0; J < Fns.size(); ++J)
    for (Instruction &I : instructions(*Fns[J]))
      if (auto *CB = dyn_cast<CallBase>(&I))
        if (auto It = Pos.find(CB->getCalledFunction()); It != Pos.end())
          if (!is_contained(Callers[It->second], J))
            Callers[It->second].push_back(J);
  return Callers;
}

/// Whether solving \p F would find a site: an allocation call or a call to
/// a known allocation wrapper (callees are analysed first).
static bool hasSite(Function &F, const TargetLibraryInfo &TLI,
                    const EscapeInfo &Info) {
  for (BasicBlock &BB : F)
    for (Instruction &I : BB)
      if (auto *CB = dyn_cast<CallBase>(&I)) {
        if (isAllocationCall(*CB, TLI) || allocHook(*CB, TLI))
          return true;
        if (const Function *G = CB->getCalledFunction())
          if (const FunctionEscapeInfo *GI = Info.lookup(*G))
            if (GI->IsAllocWrapper || GI->DestSite)
              return true;
      }
  return false;
}

/// Whether any escalloc remark may be emitted (-Rpass*=escalloc, -pass-remarks
/// patterns, or an optimization record): parameter summaries are reported
/// for every function then.
static bool remarksWanted(Module &M) {
  LLVMContext &Ctx = M.getContext();
  return Ctx.getLLVMRemarkStreamer() ||
         Ctx.getDiagHandlerPtr()->isAnyRemarkEnabled(DEBUG_TYPE);
}

EscapeInfo EscapeAnalysis::run(Module &M, ModuleAnalysisManager &MAM) {
  auto &FAM = MAM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
  EscapeInfo Info;
  CallGraph CG(M);
  DenseSet<const Function *> Hidden = hiddenCycles(M);

  // The call graph's SCCs, callees first.
  struct SCC {
    SmallVector<Function *, 4> Fns;
    bool Recursive;
  };
  SmallVector<SCC, 0> SCCs;
  DenseMap<const Function *, unsigned> SCCOf;
  for (scc_iterator<CallGraph *> SCCI = scc_begin(&CG); !SCCI.isAtEnd();
       ++SCCI) {
    SCC C{{}, SCCI.hasCycle()};
    for (CallGraphNode *N : *SCCI)
      if (Function *F = N->getFunction())
        if (!F->isDeclaration() && !F->hasOptNone()) {
          C.Fns.push_back(F);
          SCCOf[F] = SCCs.size();
        }
    if (!C.Fns.empty())
      SCCs.push_back(std::move(C));
  }

  auto Analyze = [&](ArrayRef<Function *> Fns, bool Recursive) {
    for (Function *F : Fns) {
      FunctionEscapeInfo &FI = Info.Functions[F];
      FI.ParamSummary.assign(F->arg_size(), ParamNoEscape);
      FI.ParamBits.clear();
      FI.ReturnsOnlyParams = true;
      FI.ResultLeaves.clear();
      if (FunctionAnalyzer(*F, FAM.getResult<TargetLibraryAnalysis>(*F),
                           nullptr)
              .returnsTrackedAgg())
        FI.ResultLeaves.assign(F->arg_size(), {0, 0, 0});
      FI.Recursive = Recursive;
      FI.HiddenRecursion = !Recursive && Hidden.contains(F);
    }
    auto Lookup = [&](const Function &G) -> const FunctionEscapeInfo * {
      auto It = Info.Functions.find(&G);
      return It == Info.Functions.end() ? nullptr : &It->second;
    };

    // Summaries within an SCC rise from the optimistic bottom to a fixed
    // point; a single function without a cycle needs one round.  A round
    // solves again only the functions that call one whose summary changed
    // since they were last solved: a solve reads nothing else that changes
    // (its callees' summaries, its own body), so it would find what it
    // found before, and the rounds end where the full rounds would.
    std::vector<std::unique_ptr<FunctionAnalyzer>> Analyzers(Fns.size());
    SmallVector<SmallVector<unsigned, 4>, 0> CallersInSCC;
    if (Recursive)
      CallersInSCC = callersWithin(Fns);
    SmallVector<bool, 0> Stale(Fns.size(), true);
    for (unsigned Round = 0;; ++Round) {
      bool SummaryChanged = false;
      for (unsigned K = 0; K < Fns.size(); ++K) {
        if (!Stale[K])
          continue;
        Stale[K] = false;
        Function *F = Fns[K];
        auto FA = std::make_unique<FunctionAnalyzer>(
            *F, FAM.getResult<TargetLibraryAnalysis>(*F), Lookup);
        FA->PreciseBits = !Recursive;
        FA->solve();
        ++NumSolves;
        if (!Recursive) {
          FunctionEscapeInfo &FI = Info.Functions[F];
          FI.ParamBits = FA->paramBits();
          for (const ParamBitsFact &B : FI.ParamBits)
            FI.ParamSummary[B.Arg] |=
                (B.Flags & ParamLeaks ? unsigned(ParamDataLeaks) : 0u) |
                (B.Flags & ParamToResult ? unsigned(ParamDataToResult) : 0u);
        }
        SmallVector<unsigned, 4> S = FA->paramSummary();
        FunctionEscapeInfo &FI = Info.Functions[F];
        auto &Old = FI.ParamSummary;
        bool Changed = false;
        for (unsigned I = 0; I < S.size(); ++I)
          S[I] |= Old[I]; // monotone
        if (S != Old) {
          Old = S;
          Changed = true;
        }
        SmallVector<std::array<uint64_t, 3>, 4> RL = FA->resultLeaves();
        for (unsigned I = 0; I < RL.size() && I < FI.ResultLeaves.size(); ++I)
          for (unsigned L = 0; L < 3; ++L)
            if (RL[I][L] & ~FI.ResultLeaves[I][L]) {
              FI.ResultLeaves[I][L] |= RL[I][L]; // monotone
              Changed = true;
            }
        if (FI.ReturnsOnlyParams && !FA->ReturnsOnlyParams) {
          FI.ReturnsOnlyParams = false;
          Changed = true;
        }
        Analyzers[K] = std::move(FA);
        if (Changed && Recursive)
          for (unsigned C : CallersInSCC[K])
            Stale[C] = true;
        SummaryChanged |= Changed;
      }
      ++NumSCCRounds;
      if (!Recursive || !SummaryChanged)
        break;
      if (Round == 32) { // cannot happen for a monotone lattice; stay sound
        for (Function *F : Fns) {
          for (unsigned &Fl : Info.Functions[F].ParamSummary)
            Fl = ParamLeaks | ParamToResult | ParamFreed | ParamContentLeaks |
                 ParamContentToResult | ParamContent2ToResult;
          Info.Functions[F].ReturnsOnlyParams = false;
          for (auto &RL : Info.Functions[F].ResultLeaves)
            RL.fill(~uint64_t(0));
        }
        break;
      }
    }

    for (unsigned K = 0; K < Fns.size(); ++K) {
      Function &F = *Fns[K];
      FunctionAnalyzer &FA = *Analyzers[K];
      FunctionEscapeInfo &FI = Info.Functions[&F];
      FI.IsAllocWrapper = false;
      FI.DestSite = nullptr;
      FI.DestFrees.clear();
      bool Stored = false, ThroughHook = false;
      SmallVector<CallBase *, 2> Frees;
      const TargetLibraryInfo &TLI = FAM.getResult<TargetLibraryAnalysis>(F);
      FI.ReallocParam = Recursive ? -1 : reallocWrapperParam(F, TLI);
      if (CallBase *Site =
              Recursive || (F.getInstructionCount() > WrapperSize &&
                            !destPassingDepth())
                  ? nullptr
                  : returnedFreshSite(F, FA, TLI, Lookup, Stored, Frees,
                                      ThroughHook)) {
        // Through a hook: not inlined as a wrapper (a caller would read its
        // call as a plain fresh object), only built in a caller's slot.
        FI.IsAllocWrapper = !ThroughHook && WrapperSize &&
                            F.getInstructionCount() <= WrapperSize;
        const Function *G = Site->getCalledFunction();
        if (Stored)
          FI.DestWhy = "a pointer to it is stored in memory";
        else
          describeDestination(F, *Site, Frees, G ? Lookup(*G) : nullptr, TLI,
                              FAM.getResult<CycleAnalysis>(F), FI);
      }
      FI.HasOpaqueCall = FA.HasOpaqueCall;
      FI.OpaqueCallee = FA.OpaqueCallee;
      // Re-entry through code outside the module is what the stack guard
      // checks at run time; without it, a smaller budget.
      FI.FrameBudget = FA.HasOpaqueCall && !stackGuardEnabled()
                           ? std::min<uint64_t>(MaxFrame, OpaqueFrame)
                           : uint64_t(MaxFrame);
      uint64_t CalleePath = 0;
      for (BasicBlock &BB : F)
        for (Instruction &I : BB)
          if (auto *CB = dyn_cast<CallBase>(&I))
            if (Function *G = CB->getCalledFunction())
              if (const FunctionEscapeInfo *GI = Info.lookup(*G))
                if (G != &F)
                  CalleePath = std::max(CalleePath, GI->PathBytes);
      FI.PathBytes = CalleePath;
      // Loops, cycles and value ranges matter only to a site's decision.
      if (FA.SiteIds.empty())
        continue;
      SiteDecider D{F,
                    FA,
                    FAM.getResult<TargetLibraryAnalysis>(F),
                    FAM.getResult<LoopAnalysis>(F),
                    FAM.getResult<CycleAnalysis>(F),
                    FAM.getResult<LazyValueAnalysis>(F),
                    FI,
                    CalleePath,
                    FAM,
                    Lookup,
                    nullptr};
      for (unsigned Id : FA.SiteIds)
        D.decide(Id);
      keptFrees(FA, FI, FAM.getResult<TargetLibraryAnalysis>(F));
      FI.PathBytes = CalleePath + FI.PromotedBytes;
    }
  };

  // A summary matters to a decision only where a caller has an allocation
  // site; it matters to the user only where remarks are asked for.  Without
  // remarks, an SCC is analysed when it has a site, after the SCCs it calls
  // (and theirs): the same inputs, so the same decisions, as a walk over
  // every SCC.
  bool Everything = AllFunctions || remarksWanted(M);
  SmallVector<bool, 0> Done(SCCs.size(), false);
  auto Ensure = [&](unsigned Root) {
    SmallVector<std::pair<unsigned, bool>, 16> Stack{{Root, false}};
    while (!Stack.empty()) {
      auto [K, Expanded] = Stack.pop_back_val();
      if (Done[K])
        continue;
      if (Expanded) {
        Done[K] = true;
        Analyze(SCCs[K].Fns, SCCs[K].Recursive);
        continue;
      }
      Stack.push_back({K, true});
      for (Function *F : SCCs[K].Fns)
        for (BasicBlock &BB : *F)
          for (Instruction &I : BB)
            if (auto *CB = dyn_cast<CallBase>(&I))
              if (Function *G = CB->getCalledFunction())
                if (auto It = SCCOf.find(G);
                    It != SCCOf.end() && It->second != K && !Done[It->second])
                  Stack.push_back({It->second, false});
    }
  };
  for (unsigned K = 0; K < SCCs.size(); ++K)
    if (!Done[K] && (Everything || any_of(SCCs[K].Fns, [&](Function *F) {
                       return hasSite(*F,
                                      FAM.getResult<TargetLibraryAnalysis>(*F),
                                      Info);
                     })))
      Ensure(K);
  return Info;
}


static unsigned lineOf(const Instruction *I) {
  if (const DebugLoc &DL = I->getDebugLoc())
    return DL.getLine();
  return 0;
}

void EscapeInfo::print(raw_ostream &OS) const {
  for (const auto &[F, FI] : Functions) {
    OS << "escalloc: function @" << F->getName();
    if (FI.IsAllocWrapper)
      OS << " (allocation wrapper)";
    if (FI.DestSite)
      OS << " (takes a destination, depth " << FI.DestDepth << ")";
    if (FI.Recursive)
      OS << " (recursive)";
    if (FI.HiddenRecursion)
      OS << " (may recurse through indirect calls)";
    if (FI.HasOpaqueCall)
      OS << " (calls outside the module)";
    OS << " frame " << FI.PromotedBytes << "/" << FI.FrameBudget << " path "
       << FI.PathBytes << "\n";
    for (const Argument &A : F->args())
      if (A.getType()->isPointerTy()) {
        OS << "  param " << describeParam(A, FI.ParamSummary[A.getArgNo()])
           << "\n";
        if (A.getArgNo() < FI.ResultLeaves.size()) {
          static const char *const Levels[] = {"", " content",
                                               " deeper content"};
          for (unsigned L = 0; L < 3; ++L)
            if (uint64_t M = FI.ResultLeaves[A.getArgNo()][L]) {
              OS << "  param " << paramName(A) << Levels[L]
                 << " in result field(s)";
              for (unsigned K = 0; K < 64; ++K)
                if (M >> K & 1)
                  OS << " " << K;
              OS << "\n";
            }
        }
        for (const ParamBitsFact &B : FI.ParamBits)
          if (B.Arg == A.getArgNo())
            OS << "  param " << paramName(A) << " data at [" << B.Offset
               << ", " << B.Offset + (int64_t)B.Size << ")"
               << (B.Flags & ParamLeaks ? " leaks" : "")
               << (B.Flags & ParamToResult ? " to result" : "") << "\n";
      }
    for (const AllocSite &S : FI.Sites) {
      OS << "  site " << S.Label;
      if (unsigned L = lineOf(S.Call))
        OS << " line " << L;
      if (S.Promote) {
        OS << ": stack " << S.Size << " bytes align " << S.Alignment.value()
           << ", " << S.Frees.size() << " free(s)";
        if (unsigned K =
                count_if(S.Frees, [&Kept = FI.KeptFrees](CallBase *Free) {
                  return is_contained(Kept, Free);
                }))
          OS << " (" << K << " may free another object)";
        if (S.InLoop)
          OS << ", in loop";
        if (S.Zeroed)
          OS << ", zeroed";
        if (S.RuntimeFallback)
          OS << ", run-time fallback";
        if (!S.Reallocs.empty())
          OS << ", grows by " << S.Reallocs.size() << " realloc(s)";
        if (S.MoveAtReturn) {
          OS << ", moved to heap at return";
          if (unsigned L = lineOf(S.MoveAtReturn))
            OS << " line " << L;
        }
        if (S.DestCallee)
          OS << ", built by a copy of @" << S.DestCallee->getName();
      } else if (S.InlineWrapper) {
        OS << ": inline the wrapper, then decide";
      } else {
        OS << ": heap: " << S.Why.str();
      }
      OS << "\n";
      for (const FlowStep &St : S.Flow)
        OS << "    flow: " << St.What << "\n";
    }
  }
}

PreservedAnalyses EscapePrinterPass::run(Module &M, ModuleAnalysisManager &AM) {
  // Every function, with or without remarks.
  EscapeAnalysis(/*AllFunctions=*/true).run(M, AM).print(OS);
  return PreservedAnalyses::all();
}

} // namespace escalloc
