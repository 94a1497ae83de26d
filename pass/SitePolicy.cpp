//===- SitePolicy.cpp - which escape-free sites move to the stack ---------===//
//
// SiteDecider (SitePolicy.h): for a site of a solved function, the rest of
// the decision once escape is known: the size and alignment (constant,
// bounded, or a run-time fallback), loops, recursion, and the frame and
// call-path budgets; and the step-by-step explanation of an escape
// (-escalloc-explain).  The knobs for these are declared here.
//
//===----------------------------------------------------------------------===//
#include "SitePolicy.h"
#include "AllocHooks.h"
#include "DestPassing.h"
#include "LibCalls.h"
#include "StackGuard.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Analysis/LazyValueInfo.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/ConstantRange.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/raw_ostream.h"

#define DEBUG_TYPE "escalloc"

using namespace llvm;

namespace escalloc {

static cl::opt<uint64_t> MaxStackSize(
    "escalloc-max-stack-size", cl::init(4096),
    cl::desc("Largest single object moved to the stack, in bytes "
             "(default 4096)"));
static cl::opt<uint64_t> MaxPath(
    "escalloc-max-path", cl::init(65536),
    cl::desc("Most bytes of promoted objects summed along any call path the "
             "module can see (default 65536)"));
static cl::opt<bool> AllowRecursion(
    "escalloc-allow-recursion", cl::init(false),
    cl::desc("Promote in functions on a call-graph cycle; their stack growth "
             "is then bounded only by the recursion depth (default false)"));
static cl::opt<uint64_t> FallbackSize(
    "escalloc-fallback-size", cl::init(64),
    cl::desc("Stack buffer for a non-constant size without a proven bound: "
             "used when the size fits at run time, the heap otherwise; 0 "
             "keeps such objects on the heap (default 64)"));
static cl::opt<uint64_t> GrowSlot(
    "escalloc-grow-slot", cl::init(0),
    cl::desc("Stack slot of a growable buffer (a site reallocated in its "
             "frame): at least this many bytes, so that its first growths "
             "stay on the stack too; 0 gives it its first size only "
             "(default 0)"));
static cl::opt<bool> MoveToHeap(
    "escalloc-move2heap", cl::init(true),
    cl::desc("Build a growable buffer whose only escape is being returned "
             "(by one return, outside any loop) on the stack, and move it to "
             "the heap at that return, as Go's move2heap does (default "
             "true)"));
static cl::opt<bool> Explain(
    "escalloc-explain", cl::init(false),
    cl::desc("Explain each escape step by step, from the allocation to "
             "where it escapes, as Go's -m=2 does (default false)"));

bool explainEnabled() { return Explain; }

void SiteDecider::explain(unsigned Id, AllocSite &S) {
  SmallDenseSet<int, 8> Seen;
  for (int X = Id; X >= 0 && Seen.insert(X).second; X = FA.Objs[X].Via) {
    const Obj &O = FA.Objs[X];
    if (!O.Escaped && !O.Pinned)
      break;
    auto Named = [&](int Y) {
      std::string L = FA.objLabel(Y);
      if (const Instruction *D = FA.Objs[Y].Def)
        if (const DebugLoc &DL = userLoc(*D))
          L += " (line " + std::to_string(DL.getLine()) + ")";
      return L;
    };
    std::string What = Named(X);
    if (O.Via >= 0 && FA.Objs[O.Via].Kind != ObjKind::External)
      What += " flows into " + Named(O.Via) + ": " + O.Why.str();
    else
      What += " escapes: " + O.Why.str();
    S.Flow.push_back({O.At ? O.At : S.Call, What});
  }
}

/// Whether \p V, returned, can point into object \p Id only at its start:
/// through phis and selects, every value that may point to it is the site
/// itself or one of its reallocs (whose result is the buffer's start).
static bool returnsStart(const FunctionAnalyzer &W, unsigned Id, Value *V) {
  const Obj &O = W.Objs[Id];
  SmallPtrSet<const Value *, 8> Seen;
  SmallVector<Value *, 8> Work{V};
  while (!Work.empty()) {
    Value *X = Work.pop_back_val();
    if (!Seen.insert(X).second || !W.ptsOf(X).contains(Id))
      continue;
    if (X == O.Def || is_contained(O.Reallocs, X))
      continue;
    if (auto *Phi = dyn_cast<PHINode>(X))
      append_range(Work, Phi->incoming_values());
    else if (auto *Sel = dyn_cast<SelectInst>(X))
      Work.append({Sel->getTrueValue(), Sel->getFalseValue()});
    else
      return false;
  }
  return true;
}

/// Go's move2heap (issue 12 §3): a growable buffer whose only escape is
/// being returned, by one return and as its start, can be built in its slot
/// and copied to the heap at that return.  The function is solved again
/// with returns not counted as escapes (as for allocation wrappers): any
/// other escape still shows there.  Sets S.MoveAtReturn; where a return of
/// it is the obstacle, S.Why says which.
bool SiteDecider::movesToHeapAtReturn(unsigned Id, AllocSite &S) {
  const Obj &O = FA.Objs[Id];
  if (!MoveToHeap || O.Reallocs.empty() || !O.Escaped || O.Pinned ||
      O.IsHookCall || O.IsWrapperCall || !F.getReturnType()->isPointerTy())
    return false;
  if (!ReturnFree) {
    ReturnFree = std::make_unique<FunctionAnalyzer>(F, TLI, Lookup);
    ReturnFree->PreciseBits = FA.PreciseBits;
    ReturnFree->ReturnIsEscape = false;
    ReturnFree->solve();
  }
  const FunctionAnalyzer &W = *ReturnFree;
  // The same walk makes the same objects, in the same order.
  if (Id >= W.Objs.size() || W.Objs[Id].Def != O.Def)
    return false;
  const Obj &WO = W.Objs[Id];
  if (WO.Escaped || WO.Pinned || !WO.Returned)
    return false;
  auto Blocked = [&](const std::string &Why) {
    S.Why = Reason{"returned from @", &F,
                   " (" + Why + ": not moved to the heap at the return)"};
    return false;
  };
  // A pointer to it in memory (its own bytes included: self-referential)
  // would point into the dead slot after the copy.
  if (any_of(W.Objs, [&](const Obj &X) { return X.Contents.contains(Id); }))
    return Blocked("a pointer to it is stored in memory");
  SmallVector<ReturnInst *, 2> Rets;
  for (BasicBlock &BB : F)
    if (auto *RI = dyn_cast<ReturnInst>(BB.getTerminator()))
      if (RI->getReturnValue() && W.ptsOf(RI->getReturnValue()).contains(Id))
        Rets.push_back(RI);
  if (Rets.size() != 1)
    return Blocked("by " + std::to_string(Rets.size()) + " returns");
  Value *V = Rets[0]->getReturnValue();
  if (!V->getType()->isPointerTy() || !returnsStart(W, Id, V))
    return Blocked("a pointer into it, not its start");
  LLVM_DEBUG(dbgs() << "escalloc: " << *O.Def << " moves to the heap at "
                    << *Rets[0] << "\n");
  S.MoveAtReturn = Rets[0];
  return true;
}

bool SiteDecider::sizeAndAlign(AllocSite &S) {
  CallBase &CB = *S.Call;
  const Function *Callee = CB.getCalledFunction();
  std::optional<LibFunc> LF = libFuncOf(CB, TLI);
  if (std::optional<AllocHook> H = LF ? std::nullopt : allocHook(CB, TLI)) {
    // Speculative: the stack only where the hook is malloc at run time.
    LF = H->Func;
    S.ThroughHook = true;
    S.HookSpeculation = hookSpeculation(*H);
  }
  if (!LF) {
    S.Why = Reason{"not a C library allocation"};
    return false;
  }
  // Which operands hold the size and the alignment.
  int SizeArg = 0, CountArg = -1, AlignArg = -1;
  Value *DynCount = nullptr; // calloc's count when the product is not constant
  uint64_t Align = 16;
  switch (*LF) {
  case LibFunc_malloc:
    break;
  case LibFunc_valloc:
    Align = 4096;
    break;
  case LibFunc_aligned_alloc:
  case LibFunc_memalign:
    AlignArg = 0;
    SizeArg = 1;
    break;
  case LibFunc_calloc:
    CountArg = 0;
    SizeArg = 1;
    S.Zeroed = true;
    break;
  case LibFunc_strdup:
  case LibFunc_strndup:
    SizeArg = -1;
    S.CopiesString = true;
    break;
  default:
    S.Why = Reason{"", Callee, " is not moved to the stack"};
    return false;
  }
  if (!S.CopiesString) {
    if (CountArg >= 0)
      S.SizeArgs.push_back(CountArg);
    S.SizeArgs.push_back(SizeArg);
  }
  if (!isa<CallInst>(CB)) {
    S.Why = Reason{"allocated by an invoke"};
    return false;
  }
  if (AlignArg >= 0) {
    auto *C = dyn_cast<ConstantInt>(CB.getArgOperand(AlignArg));
    if (!C) {
      S.Why = Reason{"non-constant alignment"};
      return false;
    }
    uint64_t A = C->getZExtValue();
    if (!isPowerOf2_64(A)) {
      // The library call fails with EINVAL; keep that behaviour.
      S.Why = Reason{"invalid alignment " + std::to_string(A)};
      return false;
    }
    if (A > 4096) {
      S.Why = Reason{"alignment too large for the stack (" +
                     std::to_string(A) + " > 4096)"};
      return false;
    }
    Align = std::max<uint64_t>(Align, A);
  }
  S.Alignment = llvm::Align(Align);

  if (S.CopiesString) {
    StringRef Str;
    if (!getConstantStringInfo(CB.getArgOperand(0), Str)) {
      S.Why = Reason{"non-constant size"};
      return false;
    }
    uint64_t Len = Str.size();
    if (*LF == LibFunc_strndup) {
      auto *Max = dyn_cast<ConstantInt>(CB.getArgOperand(1));
      if (!Max) {
        S.Why = Reason{"non-constant size"};
        return false;
      }
      Len = std::min<uint64_t>(Len, Max->getZExtValue());
    }
    S.Size = Len + 1; // the copy and its terminating NUL
    return true;
  }
  auto *N = dyn_cast<ConstantInt>(CB.getArgOperand(SizeArg));
  if (CountArg >= 0) {
    auto *Count = dyn_cast<ConstantInt>(CB.getArgOperand(CountArg));
    // calloc(1, n) (what DSE makes of malloc + memset) has one size operand.
    if (Count && Count->isOne() && !N) {
      CountArg = -1;
    } else if (N && N->isOne() && !Count) {
      // calloc(n, 1): the count is the size, and it is not a constant.
      SizeArg = CountArg;
      CountArg = -1;
      N = nullptr;
    } else if (!N || !Count) {
      // calloc(n, size) with a run-time product: the run-time fallback
      // below, on the saturated product (an overflow goes to calloc, which
      // fails).
      DynCount = CB.getArgOperand(CountArg);
      CountArg = -1;
      N = nullptr;
    }
  }
  if (CountArg >= 0) {
    auto *Count = cast<ConstantInt>(CB.getArgOperand(CountArg));
    bool Overflow = false;
    APInt Total = Count->getValue().umul_ov(N->getValue(), Overflow);
    if (Overflow) {
      // calloc returns NULL here; keep that behaviour.
      S.Why = Reason{"size overflows"};
      return false;
    }
    S.Size = std::max<uint64_t>(1, Total.getLimitedValue());
    return true;
  }
  if (N) {
    S.Size = std::max<uint64_t>(1, N->getValue().getLimitedValue());
    return true;
  }
  // A non-constant size: a proven bound (of a single size operand), else the
  // run-time fallback.
  Value *V = CB.getArgOperand(SizeArg);
  if (!DynCount) {
    ConstantRange R = LVI.getConstantRange(V, &CB, /*UndefAllowed=*/false);
    if (!R.isFullSet() && R.getUnsignedMax().ule(MaxStackSize)) {
      S.Size = std::max<uint64_t>(1, R.getUnsignedMax().getZExtValue());
      return true;
    }
  }
  if (FallbackSize == 0) {
    S.Why = Reason{"non-constant size"};
    return false;
  }
  S.RuntimeFallback = true;
  S.DynSize = V;
  S.DynCount = DynCount;
  S.Size = FallbackSize;
  return true;
}

bool SiteDecider::loopSafe(unsigned Id, AllocSite &S) {
  BasicBlock *BB = S.Call->getParent();
  for (const auto *C = CI.getCycle(BB); C; C = C->getParentCycle())
    if (!C->isReducible()) {
      S.Why = Reason{"in an irreducible loop"};
      return false;
    }
  Loop *L = LI.getLoopFor(BB);
  if (!L)
    return true;
  S.InLoop = true;
  // Memory: an object stored anywhere may be read in a later iteration.
  for (unsigned X = 0; X < FA.Objs.size(); ++X)
    if (FA.Objs[X].Contents.contains(Id)) {
      S.Why = Reason{"reachable from the next loop iteration (stored into " +
                     FA.objLabel(X) + ", which outlives the iteration)"};
      return false;
    }
  // Registers: values cross iterations only through loop-header phis.
  for (Loop *Outer = L; Outer; Outer = Outer->getParentLoop())
    for (PHINode &Phi : Outer->getHeader()->phis())
      if (FA.ptsOf(&Phi).contains(Id)) {
        S.Why = Reason{"reachable from the next loop iteration"};
        return false;
      }
  return true;
}

void SiteDecider::decide(unsigned Id) {
  Obj &O = FA.Objs[Id];
  // A realloc that only grows another site's buffer is decided with it.
  if (O.GrowsSite && !FA.ptsOf(O.Def).contains(Id))
    return;
  AllocSite S;
  S.Call = cast<CallBase>(O.Def);
  S.Label = allocLabel(*S.Call);
  if (O.IsHookCall) // "global_hooks.allocate(64)", not "<indirect>(64)"
    if (std::optional<AllocHook> H = allocHook(*S.Call, TLI))
      S.Label = hookName(*H) + S.Label.substr(S.Label.find('('));
  auto Keep = [&](Reason R) {
    if (S.Why.empty())
      S.Why = std::move(R);
    S.MoveAtReturn = nullptr;
    Out.Sites.push_back(std::move(S));
  };
  if ((O.Escaped || O.Pinned) && !movesToHeapAtReturn(Id, S)) {
    if (S.Why.empty()) // else: the return that keeps it (move2heap)
      S.Why = O.Why;
    if (Explain)
      explain(Id, S);
    return Keep(O.Why);
  }
  if (O.IsWrapperCall) {
    const Function *Callee = S.Call->getCalledFunction();
    const FunctionEscapeInfo &CI = *Lookup(*Callee);
    std::string Blocker =
        CI.IsAllocWrapper ? wrapperInlineBlocker(*S.Call, FAM)
        : CI.DestThroughHook
            ? "it allocates through a hook"
            : "it has more than " + std::to_string(wrapperSizeLimit()) +
                  " instructions (-escalloc-wrapper-size)";
    if (Blocker.empty()) {
      S.InlineWrapper = true;
      return Keep(Reason{"allocated by wrapper @", Callee, " (not inlined)"});
    }
    LLVM_DEBUG(dbgs() << "escalloc: not inlining " << *S.Call << ": "
                      << Blocker << "\n");
    // Not inlined: the caller's slot passed to a clone of the callee.
    if (!CI.DestSite)
      return Keep(Reason{"allocated by @", Callee,
                         ", which is not inlined: " + Blocker +
                             ", and cannot build its object in the caller's "
                             "frame: " +
                             CI.DestWhy});
    if (!destSlotSize(S, CI, LVI, MaxStackSize, FallbackSize))
      return Keep(S.Why);
    S.DestCallee = Callee;
    S.HookSpeculation = CI.DestSpeculation; // "" unless through a hook
  } else if (!sizeAndAlign(S)) {
    return Keep(S.Why);
  }
  // Headroom for a growable buffer (not a string copy, whose size is its
  // text's), within the per-object limit.
  if (!O.Reallocs.empty() && !S.CopiesString && S.Size < GrowSlot)
    S.Size = std::max<uint64_t>(
        S.Size, std::min<uint64_t>(GrowSlot, MaxStackSize));
  if (FA.CallsSetjmp)
    return Keep(FA.SetjmpCallee
                    ? Reason{"function calls @", FA.SetjmpCallee,
                             " (returns twice)"}
                    : Reason{"function calls setjmp"});
  if (FA.HasMustTail)
    return Keep(Reason{"function contains a musttail call"});
  // The stack guard bounds the depth a recursion promotes to (StackGuard.h).
  bool RecursionOK = AllowRecursion || stackGuardEnabled();
  if (Out.Recursive && !RecursionOK)
    return Keep(Reason{"in a recursive function"});
  if (Out.HiddenRecursion && !RecursionOK)
    return Keep(Reason{"in a function that may recurse through an indirect "
                       "call or a callback"});
  if (!loopSafe(Id, S))
    return Keep(S.Why);
  // One buffer per call: a site in a loop would need a copy per iteration's
  // buffer, which the return cannot tell apart.
  if (S.MoveAtReturn && S.InLoop)
    return Keep(Reason{"returned from @", &F,
                       " (allocated in a loop: not moved to the heap at the "
                       "return)"});
  if (S.Size > MaxStackSize)
    return Keep(Reason{"too large for stack (" + std::to_string(S.Size) +
                       " > " + std::to_string(MaxStackSize) + ")"});
  if (Out.PromotedBytes + S.Size > Out.FrameBudget)
    return Keep(Reason{"stack frame budget exhausted (" +
                       std::to_string(Out.PromotedBytes) + " + " +
                       std::to_string(S.Size) + " > " +
                       std::to_string(Out.FrameBudget) + ")"});
  if (CalleePath + Out.PromotedBytes + S.Size > MaxPath)
    return Keep(Reason{"call-path stack budget exhausted (" +
                       std::to_string(CalleePath + Out.PromotedBytes) +
                       " + " + std::to_string(S.Size) + " > " +
                       std::to_string(MaxPath) + ")"});
  // Grown by a realloc wrapper: the wrapper is inlined (its other effects,
  // a die() on failure, stay) and the buffer decided again with the
  // realloc inside; a wrapper the user keeps out of line keeps it.
  for (CallBase *RA : O.Reallocs) {
    if (reallocatedOperand(*RA, TLI)) // realloc, or a hook (AllocHooks.h)
      continue;
    const Function *W = RA->getCalledFunction();
    std::string Blocker = wrapperInlineBlocker(*RA, FAM);
    if (!Blocker.empty()) {
      S.InlineReallocWrappers.clear();
      return Keep(Reason{"grown by realloc wrapper @", W,
                         ", which is not inlined: " + Blocker});
    }
    S.InlineReallocWrappers.push_back(RA);
  }
  if (!S.InlineReallocWrappers.empty())
    return Keep(Reason{"grown by realloc wrapper @",
                       S.InlineReallocWrappers.front()->getCalledFunction(),
                       " (inlined: decided again)"});
  S.Promote = true;
  S.Frees = O.Frees;
  S.Reallocs = O.Reallocs;
  Out.PromotedBytes += S.Size;
  Out.Sites.push_back(std::move(S));
}

} // namespace escalloc
