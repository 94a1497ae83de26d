//===- EscapeAnalysis.cpp - Go-style escape analysis for C heap objects ---===//
//
// See EscapeAnalysis.h for the model.  This file owns:
//  - FunctionAnalyzer: the location graph of one function, solved by
//    iterating its instructions to a fixed point (sets only grow);
//  - the per-site decision (escape, size, alignment, loops, recursion,
//    budgets), in program order so the frame budget is spent first come,
//    first served;
//  - EscapeAnalysis::run: the bottom-up walk over call-graph SCCs.
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
#include "EscapeAnalysis.h"
#include "LibCalls.h"
#include "Remarks.h"
#include "StackGuard.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SCCIterator.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Analysis/CallGraph.h"
#include "llvm/Analysis/CycleAnalysis.h"
#include "llvm/Analysis/InlineCost.h"
#include "llvm/Analysis/LazyValueInfo.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/MemoryBuiltins.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/ConstantRange.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
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
static cl::opt<uint64_t> MaxFrame(
    "escalloc-max-frame", cl::init(16384),
    cl::desc("Most bytes of promoted objects one stack frame may gain "
             "(default 16384)"));
static cl::opt<uint64_t> MaxPath(
    "escalloc-max-path", cl::init(65536),
    cl::desc("Most bytes of promoted objects summed along any call path the "
             "module can see (default 65536)"));
static cl::opt<uint64_t> OpaqueFrame(
    "escalloc-opaque-frame", cl::init(4096),
    cl::desc("Frame budget of a function that calls code outside the module "
             "(an external or indirect call), which may re-enter it through "
             "a cycle the module cannot see (default 4096)"));
static cl::opt<bool> AllowRecursion(
    "escalloc-allow-recursion", cl::init(false),
    cl::desc("Promote in functions on a call-graph cycle; their stack growth "
             "is then bounded only by the recursion depth (default false)"));
static cl::opt<uint64_t> FallbackSize(
    "escalloc-fallback-size", cl::init(64),
    cl::desc("Stack buffer for a non-constant size without a proven bound: "
             "used when the size fits at run time, the heap otherwise; 0 "
             "keeps such objects on the heap (default 64)"));
static cl::opt<unsigned> WrapperSize(
    "escalloc-wrapper-size", cl::init(64),
    cl::desc("Largest allocation wrapper (in instructions) inlined into a "
             "caller where its result does not escape; 0 disables "
             "(default 64)"));
static cl::opt<bool> Explain(
    "escalloc-explain", cl::init(false),
    cl::desc("Explain each escape step by step, from the allocation to "
             "where it escapes, as Go's -m=2 does (default false)"));

bool explainEnabled() { return Explain; }

AnalysisKey EscapeAnalysis::Key;

bool EscapeInfo::invalidate(Module &, const PreservedAnalyses &PA,
                            ModuleAnalysisManager::Invalidator &) {
  auto PAC = PA.getChecker<EscapeAnalysis>();
  return !PAC.preserved() && !PAC.preservedSet<AllAnalysesOn<Module>>();
}

//===----------------------------------------------------------------------===//
// Names and labels
//===----------------------------------------------------------------------===//

std::string Reason::str() const {
  std::string S = Text;
  if (Subject)
    S += Subject->getName().str();
  return S + Tail;
}

SmallVector<std::string, 4> paramNames(const Function &F) {
  SmallVector<std::string, 4> Names(F.arg_size());
  SmallVector<bool, 4> Found(F.arg_size(), false); // a debug name may be ""
  unsigned Unnamed = 0;
  // Debug info survives -O2 where clang has dropped IR value names.
  const DISubprogram *SP = F.getSubprogram();
  for (const Argument &A : F.args()) {
    if (SP)
      for (const DINode *N : SP->getRetainedNodes())
        if (const auto *V = dyn_cast<DILocalVariable>(N))
          if (V->getArg() == A.getArgNo() + 1) {
            Names[A.getArgNo()] = V->getName().str();
            Found[A.getArgNo()] = true;
            break;
          }
    Unnamed += !Found[A.getArgNo()];
  }
  // One walk over the body finds the first debug record of each argument
  // left; asking per argument made summaries quadratic in large functions.
  if (Unnamed && SP)
    for (const BasicBlock &BB : F)
      for (const Instruction &I : BB)
        for (const DbgVariableRecord &DVR :
             filterDbgVars(I.getDbgRecordRange())) {
          unsigned Arg = DVR.getVariable()->getArg();
          if (Arg == 0 || Arg > Names.size() || Found[Arg - 1] ||
              DVR.getVariable()->getScope()->getSubprogram() != SP)
            continue;
          Names[Arg - 1] = DVR.getVariable()->getName().str();
          Found[Arg - 1] = true;
          if (--Unnamed == 0)
            return Names;
        }
  // At an LTO link the linker has discarded value names; the pre-link
  // compile kept them in metadata.
  const MDNode *Kept = F.getMetadata(ParamNamesMD);
  if (Kept && Kept->getNumOperands() != F.arg_size())
    Kept = nullptr;
  for (const Argument &A : F.args()) {
    if (Found[A.getArgNo()])
      continue;
    StringRef KeptName;
    if (Kept)
      if (const auto *S = dyn_cast<MDString>(Kept->getOperand(A.getArgNo())))
        KeptName = S->getString();
    Names[A.getArgNo()] = A.hasName()         ? A.getName().str()
                          : !KeptName.empty() ? KeptName.str()
                                              : "#" + std::to_string(A.getArgNo() + 1);
  }
  return Names;
}

std::string paramName(const Argument &A) {
  return paramNames(*A.getParent())[A.getArgNo()];
}

std::string describeParam(const Argument &A, unsigned Flags) {
  return describeParam(A, Flags, paramName(A));
}

std::string describeParam(const Argument &A, unsigned Flags,
                          const std::string &P) {
  // Content or data returned as an integer is tracked for soundness but is
  // not what a reader of "leaking param" means.
  if (!A.getParent()->getReturnType()->isPointerTy())
    Flags &= ~(ParamContentToResult | ParamDataToResult);
  if (Flags == ParamNoEscape)
    return P + " does not escape";
  SmallVector<std::string, 3> Parts;
  if (Flags & ParamLeaks)
    Parts.push_back("leaking param: " + P);
  else if (Flags & ParamToResult)
    Parts.push_back("leaking param: " + P + " to result");
  if (Flags & ParamFreed)
    Parts.push_back("param " + P + " is freed");
  if ((Flags & ParamContentLeaks) && !(Flags & ParamLeaks))
    Parts.push_back("leaking param content: " + P);
  else if ((Flags & ParamContentToResult) && !(Flags & ParamLeaks))
    Parts.push_back("leaking param content: " + P + " to result");
  else if ((Flags & ParamDataLeaks) && !(Flags & ParamLeaks))
    Parts.push_back("leaking param data: " + P);
  else if ((Flags & ParamDataToResult) && !(Flags & ParamLeaks))
    Parts.push_back("leaking param data: " + P + " to result");
  std::string S;
  for (const std::string &Part : Parts)
    S += (S.empty() ? "" : "; ") + Part;
  return S;
}

std::string allocLabel(const CallBase &CB) {
  std::string S;
  raw_string_ostream OS(S);
  const Function *Callee = CB.getCalledFunction();
  // C names: a C++ allocation function reads "operator new(16)".
  std::string Name = Callee ? cName(*Callee) : "<indirect>";
  OS << StringRef(Name).split('(').first << "(";
  for (unsigned I = 0, E = CB.arg_size(); I != E; ++I) {
    const Value *A = CB.getArgOperand(I);
    if (I)
      OS << ", ";
    if (const auto *C = dyn_cast<ConstantInt>(A))
      OS << C->getValue().getZExtValue();
    else if (isa<Argument>(A) && A->hasName() && !A->getType()->isPointerTy())
      OS << A->getName(); // a parameter's name is the source's; others are
                          // clang's (add, cond, conv) and would mislead
    else
      OS << (A->getType()->isPointerTy() ? "..." : "<variable size>");
  }
  OS << ")";
  return S;
}

//===----------------------------------------------------------------------===//
// Allocation and free calls
//===----------------------------------------------------------------------===//

// MemoryBuiltins recognises malloc & co. only once inferattrs has annotated
// the declarations; the inventory runs before that, so the TLI's own name
// and prototype check is the fallback.
static std::optional<LibFunc> libFuncOf(const CallBase &CB,
                                        const TargetLibraryInfo &TLI) {
  const Function *Callee = CB.getCalledFunction();
  LibFunc LF;
  if (!Callee || CB.isNoBuiltin() || !TLI.getLibFunc(*Callee, LF) ||
      !TLI.has(LF))
    return std::nullopt;
  return LF;
}

bool isAllocationCall(const CallBase &CB, const TargetLibraryInfo &TLI) {
  if (isAllocationFn(&CB, &TLI))
    return true;
  switch (libFuncOf(CB, TLI).value_or(NotLibFunc)) {
  case LibFunc_malloc:
  case LibFunc_calloc:
  case LibFunc_realloc:
  case LibFunc_reallocf:
  case LibFunc_aligned_alloc:
  case LibFunc_memalign:
  case LibFunc_valloc:
  case LibFunc_strdup:
  case LibFunc_strndup:
    return true;
  default:
    return false;
  }
}

static Value *freedOperand(CallBase &CB, const TargetLibraryInfo &TLI) {
  if (Value *V = getFreedOperand(&CB, &TLI))
    return V;
  if (libFuncOf(CB, TLI) == LibFunc_free && CB.arg_size() == 1)
    return CB.getArgOperand(0);
  return nullptr;
}

static Value *reallocatedOperand(CallBase &CB, const TargetLibraryInfo &TLI) {
  if (Value *V = getReallocatedOperand(&CB))
    return V;
  auto LF = libFuncOf(CB, TLI);
  if ((LF == LibFunc_realloc || LF == LibFunc_reallocf) && CB.arg_size() == 2)
    return CB.getArgOperand(0);
  return nullptr;
}

//===----------------------------------------------------------------------===//
// The location graph of one function
//===----------------------------------------------------------------------===//

namespace {

enum class ObjKind { External, Pointee, Content, Site, Stack, ParamBits };

using PtsSet = SmallSetVector<unsigned, 4>;

PtsSet one(unsigned X) {
  PtsSet S;
  S.insert(X);
  return S;
}

struct Obj {
  ObjKind Kind;
  unsigned ArgNo = 0;
  int64_t BitsOffset = 0; ///< ParamBits: the bytes read, from the parameter
  uint64_t BitsSize = 0;
  Instruction *Def = nullptr;
  PtsSet Contents;
  DenseMap<unsigned, const Instruction *> StoredAt; // content -> first store
  /// Byte ranges where pointers were stored (for integer loads), unless a
  /// pointer was stored at an unknown offset.
  SmallVector<std::pair<int64_t, uint64_t>, 2> PtrRanges;
  bool PtrAtUnknownOffset = false;
  bool Escaped = false;
  /// Stays on the heap (freed elsewhere), but what it holds does not escape.
  bool Pinned = false;
  bool ContentsEscape = false;
  Reason Why;
  const Instruction *At = nullptr;
  int Via = -1;
  bool Returned = false;
  bool Freed = false;
  bool IsWrapperCall = false;
  SmallVector<CallBase *, 2> Frees;
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

  /// Data read at a constant offset from a parameter gets an object of its
  /// own (ParamBits), summarised by offset; otherwise such reads count as
  /// the parameter's content.  Off in recursive SCCs, whose fixed point
  /// covers ParamSummary only.
  bool PreciseBits = true;

  /// Sites in program order.
  SmallVector<unsigned, 4> SiteIds;
  SmallVector<Obj, 16> Objs;
  DenseMap<const Value *, PtsSet> Pts;
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

  std::string objLabel(unsigned Id) const;
  PtsSet ptsOf(const Value *V) const;

private:
  Function &F;
  const TargetLibraryInfo &TLI;
  const DataLayout &DL;
  SummaryLookup Summaries;
  DenseMap<const Value *, unsigned> ObjOf;
  SmallVector<unsigned, 4> PointeeOf, ContentOf;
  SmallVector<unsigned, 4> BitsObjs;
  /// Filled on first use: only reasons and labels need the names.
  mutable SmallVector<std::string, 4> ParamNames;

  const std::string &argName(unsigned ArgNo) const {
    if (ParamNames.empty())
      ParamNames = paramNames(F);
    return ParamNames[ArgNo];
  }
  bool Changed = false;

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
    return O.Kind == ObjKind::External || O.Kind == ObjKind::Pointee ||
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
  std::optional<int64_t> offsetInto(const Value *Ptr, unsigned X) const;
  Reason storeReason(unsigned X, const Value *Addr) const;

  bool isInert(const Instruction &I) const;
  static bool passesBits(const Instruction &I);
  PtsSet reachableFrom(const PtsSet &S) const;
  void visitFormattedArg(CallBase &CB, unsigned I, LibFunc LF, unsigned FmtArg,
                         int Param, const PtsSet &S);
  void visit(Instruction &I);
  void visitCall(CallBase &CB);
  void visitFree(CallBase &CB, Value *Freed);
  void visitArgByAttributes(CallBase &CB, unsigned I, PtsSet &Result);
  void visitArgBySummary(CallBase &CB, unsigned I, unsigned Flags,
                         const FunctionEscapeInfo &Callee, PtsSet &Result);
  void visitReturn(ReturnInst &RI);
};

} // namespace

std::string FunctionAnalyzer::objLabel(unsigned Id) const {
  const Obj &O = Objs[Id];
  switch (O.Kind) {
  case ObjKind::External:
    return "external memory";
  case ObjKind::Pointee:
    return "param " + argName(O.ArgNo);
  case ObjKind::Content:
    return "content of param " + argName(O.ArgNo);
  case ObjKind::ParamBits:
    return "bits of param " + argName(O.ArgNo) + " at offset " +
           std::to_string(O.BitsOffset);
  case ObjKind::Site:
    return allocLabel(*cast<CallBase>(O.Def));
  case ObjKind::Stack:
    return "local " + (O.Def->hasName() ? O.Def->getName().str()
                                        : std::string("variable"));
  }
  return "";
}

PtsSet FunctionAnalyzer::ptsOf(const Value *V) const {
  PtsSet S;
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

void FunctionAnalyzer::markEscaped(unsigned X, const Reason &R,
                                   const Instruction *At, int Via) {
  struct Step {
    unsigned X;
    Reason R;
    const Instruction *At;
    int Via;
  };
  // A worklist, not recursion: chains of objects can be long.
  SmallVector<Step, 8> Work;
  Work.push_back({X, R, At, Via});
  while (!Work.empty()) {
    Step S = Work.pop_back_val();
    Obj &O = Objs[S.X];
    if (O.Kind == ObjKind::External || O.Escaped)
      continue;
    O.Escaped = true;
    O.Why = S.R;
    O.At = S.At;
    O.Via = S.Via;
    Changed = true;
    LLVM_DEBUG(dbgs() << "escalloc: " << objLabel(S.X)
                      << " escapes: " << S.R.str() << "\n");
    // Whatever it holds is now reachable from outside too.
    for (unsigned Y : O.Contents)
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
  if (!O.ContentsEscape) {
    O.ContentsEscape = true;
    Changed = true;
  }
  PtsSet C = O.Contents;
  for (unsigned Y : C)
    markEscaped(Y, R, At, X);
  if (isParamObj(X))
    markEscaped(ContentOf[O.ArgNo], R, At, X);
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
      if (!O.PtrAtUnknownOffset)
        Changed = true;
      O.PtrAtUnknownOffset = true;
    } else if (!is_contained(O.PtrRanges, std::make_pair(*Off, Size))) {
      O.PtrRanges.push_back({*Off, Size});
      Changed = true;
    }
  }
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
      return R;
    }
  }
  if (isParamObj(X))
    R.insert(ContentOf[O.ArgNo]);
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
  newObj(ObjKind::External);
  Objs[0].Contents.insert(0);
  PointeeOf.assign(F.arg_size(), 0);
  ContentOf.assign(F.arg_size(), 0);
  // Integer and float parameters get objects too: the caller may pass a
  // pointer's bits (a union passed by value is an i64).
  for (Argument &A : F.args()) {
    if (!carriesBits(A.getType()))
      continue;
    unsigned P = newObj(ObjKind::Pointee, nullptr, A.getArgNo());
    unsigned C = newObj(ObjKind::Content, nullptr, A.getArgNo());
    PointeeOf[A.getArgNo()] = P;
    ContentOf[A.getArgNo()] = C;
    Objs[P].Contents.insert(C);
    Objs[C].Contents.insert(C);
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
        if (isAllocationCall(*CB, TLI) || (CI && CI->IsAllocWrapper)) {
          ObjOf[&I] = newObj(ObjKind::Site, &I);
          Objs.back().IsWrapperCall = !isAllocationCall(*CB, TLI);
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
              (!Callee || (Callee->isDeclaration() &&
                           !LibCall::get(*CB, TLI)))))) {
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
  do {
    Changed = false;
    for (Instruction *I : Active)
      visit(*I);
  } while (Changed);
}

/// Integer and float arithmetic and the casts between them: the result may
/// hold any bit of any operand.  Compares are left out (one bit each; see
/// the file comment).
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
    for (unsigned Y : loadFrom(X, false, std::nullopt, 0))
      if (R.insert(Y))
        Work.push_back(Y);
  }
  return R;
}

/// True when visit(I) does nothing, whatever the points-to sets hold.  It
/// mirrors visit(): a case added there must be kept here (or left out, which
/// is always safe).
bool FunctionAnalyzer::isInert(const Instruction &I) const {
  Type *T = I.getType();
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

void FunctionAnalyzer::visit(Instruction &I) {
  if (passesBits(I)) {
    if (carriesBits(I.getType()))
      for (Value *Op : I.operands())
        addPts(&I, ptsOf(Op));
    return;
  }
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
    escapeAll(ptsOf(I.getOperand(0)), Reason{"address taken as an integer"},
              &I);
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
  if (!V || !carriesBits(V->getType()))
    return;
  for (unsigned X : ptsOf(V)) {
    Obj &O = Objs[X];
    if (O.Kind != ObjKind::Pointee)
      ReturnsOnlyParams = false;
    switch (O.Kind) {
    case ObjKind::Pointee:
    case ObjKind::Content:
    case ObjKind::ParamBits:
      // The caller sees it again through the call's result.
      if (!O.Returned) {
        O.Returned = true;
        Changed = true;
      }
      break;
    case ObjKind::External:
      break;
    case ObjKind::Site:
      if (!ReturnIsEscape) {
        if (!O.Returned)
          Changed = true;
        O.Returned = true;
        break;
      }
      [[fallthrough]];
    default:
      markEscaped(X, Reason{"returned from @", &F}, &RI, -1);
    }
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
      if (!O.Freed) {
        O.Freed = true;
        Changed = true;
      }
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

/// Formatted I/O: the index of the format argument, or -1.  These neither
/// capture nor free their variadic pointer arguments: they read strings or
/// write scanned values through them, or print them with %p.
static int formatArgIndex(LibFunc LF) {
  switch (LF) {
  case LibFunc_printf:
  case LibFunc_scanf:
    return 0;
  case LibFunc_fprintf:
  case LibFunc_sprintf:
  case LibFunc_fscanf:
  case LibFunc_sscanf:
    return 1;
  case LibFunc_snprintf:
    return 2;
  default:
    return -1;
  }
}

static bool isScanf(LibFunc LF) {
  return LF == LibFunc_scanf || LF == LibFunc_fscanf || LF == LibFunc_sscanf;
}

/// Whether a format may turn a pointer argument into text: a %p conversion,
/// or a format that is not a constant string.
static bool formatMayPrintPointer(const CallBase &CB, int FmtArg) {
  StringRef Fmt;
  if (!getConstantStringInfo(CB.getArgOperand(FmtArg), Fmt))
    return true;
  for (size_t K = 0; K < Fmt.size(); ++K) {
    if (Fmt[K] != '%')
      continue;
    // Flags, argument position, width, precision and length come before the
    // conversion; "%%" stops at its second '%'.
    ++K;
    while (K < Fmt.size() && StringRef("-+ #0'123456789.*$hlLqjztI")
                                 .contains(Fmt[K]))
      ++K;
    if (K < Fmt.size() && Fmt[K] == 'p')
      return true;
  }
  return false;
}

/// C library functions that write an integer argument out where it can be
/// read back (a byte to a stream).  Other library functions only compute
/// their result from their integer arguments.
static bool writesIntegerArg(LibFunc LF) {
  switch (LF) {
  case LibFunc_putchar:
  case LibFunc_putchar_unlocked:
  case LibFunc_putc:
  case LibFunc_putc_unlocked:
  case LibFunc_fputc:
  case LibFunc_fputc_unlocked:
  case LibFunc_ungetc:
    return true;
  default:
    return false;
  }
}

/// C library functions whose only capture of their first argument is
/// returning a pointer into it (strcpy returns dst, strchr a pointer into s).
/// LLVM marks some with `returned`, which alone does not rule out other
/// captures; the C standard does.
static bool returnsIntoFirstArg(LibFunc LF) {
  switch (LF) {
  case LibFunc_memcpy:
  case LibFunc_mempcpy:
  case LibFunc_memmove:
  case LibFunc_memset:
  case LibFunc_memchr:
  case LibFunc_memrchr:
  case LibFunc_strcpy:
  case LibFunc_strncpy:
  case LibFunc_stpcpy:
  case LibFunc_stpncpy:
  case LibFunc_strcat:
  case LibFunc_strncat:
  case LibFunc_strchr:
  case LibFunc_strrchr:
  case LibFunc_strstr:
  case LibFunc_strpbrk:
  case LibFunc_fgets:
    return true;
  default:
    return false;
  }
}

/// A variadic argument of formatted I/O.  Printing publishes a pointer
/// printed with %p (or under a format that is not constant) and the bits of
/// any integer or float, whatever the conversion; %s prints the bytes a
/// pointer points to.  Scanning writes through the pointer: a number, a
/// string, or with %p a pointer rebuilt from text.
void FunctionAnalyzer::visitFormattedArg(CallBase &CB, unsigned I, LibFunc LF,
                                         unsigned FmtArg, int Param,
                                         const PtsSet &S) {
  const Function *Callee = CB.getCalledFunction();
  std::string ArgText = " argument " + std::to_string(Param + 1);
  Value *A = CB.getArgOperand(I);
  if (isScanf(LF)) {
    if (A->getType()->isPointerTy())
      clobberContents(CB, I, S);
    else
      escapeAll(S, Reason{"passed to @", Callee, ArgText}, &CB);
    return;
  }
  if (!A->getType()->isPointerTy()) {
    escapeAll(S, Reason{"its bits are printed by @", Callee, ArgText}, &CB);
    return;
  }
  if (formatMayPrintPointer(CB, FmtArg)) {
    StringRef Fmt;
    bool Constant = getConstantStringInfo(CB.getArgOperand(FmtArg), Fmt);
    escapeAll(S,
              Constant ? Reason{"printed with %p by @", Callee, ArgText}
                       : Reason{"printed by @", Callee,
                                ArgText + " under a format that is not "
                                          "constant"},
              &CB);
    return;
  }
  for (unsigned X : S)
    escapeContents(X, Reason{"its contents may be printed by @", Callee},
                   &CB);
}

void FunctionAnalyzer::visitArgByAttributes(CallBase &CB, unsigned I,
                                            PtsSet &Result) {
  Value *A = CB.getArgOperand(I);
  PtsSet S = ptsOf(A);
  if (S.empty())
    return;
  const Function *Callee = CB.getCalledFunction();
  // A library call is read as the function the user wrote (__memcpy_chk as
  // memcpy): its LibFunc, its parameter numbers, its attributes.
  std::optional<LibCall> Lib = LibCall::get(CB, TLI);
  int Param = Lib ? Lib->paramOf(I) : int(I);
  std::string ArgText = " argument " + std::to_string(Param + 1);
  bool Variadic = I >= CB.getFunctionType()->getNumParams();
  if (Variadic && Lib && formatArgIndex(Lib->func()) >= 0)
    return visitFormattedArg(CB, I, Lib->func(),
                             Lib->argOf(formatArgIndex(Lib->func())), Param,
                             S);
  if (!A->getType()->isPointerTy()) {
    // Integer or float bits.  An unknown callee could turn them back into a
    // pointer; an intrinsic (llvm.bswap, llvm.fshl, ...) and the C library
    // compute their result from them, and a few library functions write
    // them out.
    if (Lib && writesIntegerArg(Lib->func())) {
      escapeAll(S, Reason{"its bits are written out by @", Callee, ArgText},
                &CB);
      return;
    }
    if (Lib && Lib->func() == LibFunc_memset && Param == 1) {
      for (unsigned D : ptsOf(CB.getArgOperand(Lib->argOf(0))))
        storeInto(D, S, &CB, std::nullopt, 0);
      return;
    }
    if (Callee && (Callee->isIntrinsic() || Lib)) {
      for (unsigned X : S)
        Result.insert(X);
      return;
    }
    escapeAll(S,
              Callee ? Reason{"passed as an integer to @", Callee}
                     : Reason{"passed as an integer to an indirect call"},
              &CB);
    return;
  }
  bool IntoResult = Param == 0 && Lib && returnsIntoFirstArg(Lib->func());
  if ((Lib ? Lib->returnsArg(I) : CB.paramHasAttr(I, Attribute::Returned)) ||
      IntoResult) {
    for (unsigned X : S)
      Result.insert(X);
  } else if (CB.getType()->isPointerTy() &&
             !CB.hasRetAttr(Attribute::NoAlias) &&
             !(Lib && returnsIntoFirstArg(Lib->func()))) {
    // A declaration may return its argument, or a pointer it loads from it
    // (ctermid(s) returns s though LLVM marks s nocapture), unless it
    // returns fresh memory or is known to return into its first argument.
    for (unsigned X : S) {
      Result.insert(X);
      for (unsigned Y : loadFrom(X, false, std::nullopt, 0))
        Result.insert(Y);
    }
  }
  clobberContents(CB, I, S);
  bool NoCapture =
      IntoResult || (Lib ? Lib->doesNotCapture(I) : CB.doesNotCapture(I));
  bool NoFree = Lib ? Lib->doesNotFree() || Lib->onlyReadsMemory(I)
                    : CB.hasFnAttr(Attribute::NoFree) ||
                          CB.onlyReadsMemory(I) || CB.onlyReadsMemory();
  if (!NoCapture || !NoFree) {
    Reason R;
    if (!Callee)
      R = Reason{"passed to an indirect call"};
    else
      R = Reason{"passed to @", Callee,
                 ArgText + (NoCapture ? " which may free it"
                                      : " which may capture it")};
    escapeAll(S, R, &CB);
    return;
  }
  // The pointer itself stays put; what the callee does with the pointers
  // stored in the object depends on what memory it may touch.
  if (Lib ? Lib->onlyReadsMemory() : CB.onlyReadsMemory())
    return;
  if (!(Lib ? Lib->onlyAccessesArgMemory() : CB.onlyAccessesArgMemory())) {
    for (unsigned X : S)
      escapeContents(X,
                     Callee ? Reason{"its contents may be published by @",
                                     Callee}
                            : Reason{"its contents may be published by an "
                                     "indirect call"},
                     &CB);
    return;
  }
  // Arg-memory-only: pointers may move between the arguments' objects.
  for (unsigned J = 0, E = CB.arg_size(); J != E; ++J) {
    if (!CB.getArgOperand(J)->getType()->isPointerTy() ||
        (Lib ? Lib->onlyReadsMemory(J) : CB.onlyReadsMemory(J)))
      continue;
    PtsSet Moved;
    for (unsigned X : S)
      for (unsigned Y : loadFrom(X, false, std::nullopt, 0))
        Moved.insert(Y);
    for (unsigned D : ptsOf(CB.getArgOperand(J)))
      storeInto(D, Moved, &CB, std::nullopt, 0);
  }
}

void FunctionAnalyzer::visitArgBySummary(CallBase &CB, unsigned I,
                                         unsigned Flags,
                                         const FunctionEscapeInfo &CI,
                                         PtsSet &Result) {
  Value *A = CB.getArgOperand(I);
  PtsSet S = ptsOf(A);
  if (S.empty())
    return;
  const Function *Callee = CB.getCalledFunction();
  std::string ArgText = " argument " + std::to_string(I + 1);
  // Data the callee reads at a constant offset and lets out: only pointers
  // (or their bits) stored at those bytes of our object go with it.
  for (const ParamBitsFact &B : CI.ParamBits) {
    if (B.Arg != I || !B.Flags)
      continue;
    for (unsigned X : S) {
      const Obj &O = Objs[X];
      if (isLocal(X) && !O.PtrAtUnknownOffset) {
        if (std::optional<int64_t> Off = offsetInto(A, X)) {
          int64_t Lo = *Off + B.Offset, Hi = Lo + (int64_t)B.Size;
          if (none_of(O.PtrRanges, [&](std::pair<int64_t, uint64_t> R) {
                return Lo < R.first + (int64_t)R.second && R.first < Hi;
              }))
            continue;
        }
      }
      if (B.Flags & ParamLeaks)
        escapeContents(X, Reason{"its bits leak through @", Callee, ArgText},
                       &CB);
      if (B.Flags & ParamToResult)
        for (unsigned Y : loadFrom(X, false, std::nullopt, 0))
          Result.insert(Y);
    }
  }
  // An integer may be turned back into a pointer and written through too.
  clobberContents(CB, I, S);
  if (Flags & ParamLeaks)
    escapeAll(S, Reason{"passed to @", Callee, ArgText + " which leaks it"},
              &CB);
  if (Flags & ParamToResult)
    for (unsigned X : S)
      Result.insert(X);
  // The callee's "content" stands for every depth below the parameter.
  if (Flags & ParamContentToResult)
    for (unsigned Y : reachableFrom(S))
      Result.insert(Y);
  if (Flags & ParamContentLeaks)
    for (unsigned X : S)
      escapeContents(X,
                     Reason{"its contents leak through @", Callee, ArgText},
                     &CB);
  if (Flags & ParamFreed)
    for (unsigned X : S) {
      Obj &O = Objs[X];
      if (O.Kind == ObjKind::Pointee) {
        if (!O.Freed)
          Changed = true;
        O.Freed = true;
      } else if (O.Kind == ObjKind::Site) {
        pin(X, Reason{"freed by @", Callee, ArgText}, &CB);
      } else {
        markEscaped(X, Reason{"freed by @", Callee, ArgText}, &CB, -1);
      }
    }
}

void FunctionAnalyzer::visitCall(CallBase &CB) {
  if (isa<DbgInfoIntrinsic>(CB))
    return;
  PtsSet Result;
  if (CB.isInlineAsm()) {
    for (Value *A : CB.args())
      escapeAll(ptsOf(A), Reason{"passed to inline asm"}, &CB, true);
    if (ptrLike(CB.getType()))
      addPts(&CB, one(0));
    return;
  }
  if (auto *II = dyn_cast<IntrinsicInst>(&CB)) {
    switch (II->getIntrinsicID()) {
    case Intrinsic::lifetime_start:
    case Intrinsic::lifetime_end:
    case Intrinsic::assume:
    case Intrinsic::invariant_start:
    case Intrinsic::invariant_end:
    case Intrinsic::objectsize:
    case Intrinsic::prefetch:
    case Intrinsic::experimental_noalias_scope_decl:
    case Intrinsic::sideeffect:
    case Intrinsic::is_constant:
    case Intrinsic::var_annotation:
    case Intrinsic::vaend:
    case Intrinsic::stacksave:
    case Intrinsic::stackrestore:
      return;
    case Intrinsic::memset:
    case Intrinsic::memset_inline: {
      // The fill byte may be a byte of a pointer.
      PtsSet Fill = ptsOf(II->getArgOperand(1));
      if (!Fill.empty())
        for (unsigned D : ptsOf(II->getArgOperand(0)))
          storeInto(D, Fill, &CB, std::nullopt, 0);
      return;
    }
    case Intrinsic::vastart:
    case Intrinsic::vacopy: {
      // The va_list holds pointers to the caller's arguments (its save
      // areas): what va_arg fetches from them is the caller's, external.
      PtsSet Into = one(0);
      if (II->getIntrinsicID() == Intrinsic::vacopy)
        for (unsigned X : ptsOf(II->getArgOperand(1)))
          for (unsigned Y : loadFrom(X, false, std::nullopt, 0))
            Into.insert(Y);
      for (unsigned D : ptsOf(II->getArgOperand(0)))
        storeInto(D, Into, &CB, std::nullopt, 0);
      return;
    }
    case Intrinsic::memcpy:
    case Intrinsic::memcpy_inline:
    case Intrinsic::memmove: {
      PtsSet Copied;
      for (unsigned X : ptsOf(II->getArgOperand(1)))
        for (unsigned Y : loadFrom(X, false, std::nullopt, 0))
          Copied.insert(Y);
      for (unsigned D : ptsOf(II->getArgOperand(0)))
        storeInto(D, Copied, &CB, std::nullopt, 0);
      return;
    }
    case Intrinsic::launder_invariant_group:
    case Intrinsic::strip_invariant_group:
    case Intrinsic::ptrmask:
    case Intrinsic::ssa_copy:
    case Intrinsic::ptr_annotation:
      addPts(&CB, ptsOf(II->getArgOperand(0)));
      return;
    default:
      break; // attributes decide
    }
  }

  if (Value *Freed = freedOperand(CB, TLI)) {
    visitFree(CB, Freed);
    return;
  }
  Value *Old = reallocatedOperand(CB, TLI);
  if (Old) {
    for (unsigned X : ptsOf(Old)) {
      Obj &O = Objs[X];
      if (O.Kind == ObjKind::Pointee) {
        if (!O.Freed)
          Changed = true;
        O.Freed = true;
        escapeContents(X, Reason{"copied by realloc"}, &CB);
      } else {
        markEscaped(X, Reason{"passed to realloc"}, &CB, -1);
      }
    }
  }

  const Function *Callee = CB.getCalledFunction();
  // An available_externally body (imported by ThinLTO) is equivalent to the
  // definition the linker will use, so its summary holds too.
  const FunctionEscapeInfo *CalleeInfo =
      Callee && (Callee->hasExactDefinition() ||
                 Callee->hasAvailableExternallyLinkage())
          ? Summaries(*Callee)
          : nullptr;
  const SmallVectorImpl<unsigned> *Summary =
      CalleeInfo ? &CalleeInfo->ParamSummary : nullptr;
  for (unsigned I = 0, E = CB.arg_size(); I != E; ++I) {
    if (CB.getArgOperand(I) == Old)
      continue;
    if (!carriesBits(CB.getArgOperand(I)->getType()))
      continue;
    if (Summary && I < Summary->size())
      visitArgBySummary(CB, I, (*Summary)[I], *CalleeInfo, Result);
    else if (Summary)
      escapeAll(ptsOf(CB.getArgOperand(I)),
                Reason{"passed to variadic @", Callee}, &CB, true);
    else
      visitArgByAttributes(CB, I, Result);
  }
  // Operand bundles (deopt, funclet, ...) are opaque uses.
  for (unsigned I = 0, E = CB.getNumOperandBundles(); I != E; ++I) {
    if (isa<AssumeInst>(CB))
      break;
    for (const Use &U : CB.getOperandBundleAt(I).Inputs)
      escapeAll(ptsOf(U.get()), Reason{"used by an operand bundle"}, &CB,
                true);
  }

  if (!carriesBits(CB.getType())) {
    // A vector or aggregate result (llvm.masked.load, a gather,
    // llvm.uadd.with.overflow) may carry pointers read out of the
    // arguments' objects, or the bits of an integer argument; it is not
    // followed.
    Type *T = CB.getType();
    if (T->isVectorTy() || T->isAggregateType())
      for (Value *A : CB.args()) {
        if (!A->getType()->isPointerTy()) {
          escapeAll(ptsOf(A), Reason{"passed into a vector or aggregate"},
                    &CB, true);
          continue;
        }
        for (unsigned X : ptsOf(A))
          escapeContents(X, Reason{"read into a vector or aggregate"}, &CB);
      }
    return;
  }
  if (auto It = ObjOf.find(&CB); It != ObjOf.end()) {
    addPts(&CB, one(It->second));
    return;
  }
  // A defined callee that returns only its parameters returns nothing else.
  if (ptrLike(CB.getType()) && (!CalleeInfo || !CalleeInfo->ReturnsOnlyParams))
    Result.insert(0);
  addPts(&CB, Result);
}

SmallVector<unsigned, 4> FunctionAnalyzer::paramSummary() const {
  SmallVector<unsigned, 4> S(F.arg_size(), ParamNoEscape);
  for (Argument &A : F.args()) {
    if (!carriesBits(A.getType()))
      continue;
    const Obj &P = Objs[PointeeOf[A.getArgNo()]];
    const Obj &C = Objs[ContentOf[A.getArgNo()]];
    unsigned Flags = 0;
    if (P.Escaped)
      Flags |= ParamLeaks;
    if (P.Returned)
      Flags |= ParamToResult;
    if (P.Freed)
      Flags |= ParamFreed;
    if (C.Escaped || P.ContentsEscape)
      Flags |= ParamContentLeaks;
    if (C.Returned)
      Flags |= ParamContentToResult;
    S[A.getArgNo()] = Flags;
  }
  return S;
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

//===----------------------------------------------------------------------===//
// Site decisions
//===----------------------------------------------------------------------===//

namespace {
struct SiteDecider {
  Function &F;
  FunctionAnalyzer &FA;
  const TargetLibraryInfo &TLI;
  LoopInfo &LI;
  CycleInfo &CI;
  LazyValueInfo &LVI;
  FunctionEscapeInfo &Out;
  uint64_t CalleePath; // deepest promoted bytes below this function
  FunctionAnalysisManager &FAM; // the callees' TTI, for wrapper calls

  void decide(unsigned Id);
  bool sizeAndAlign(AllocSite &S);
  bool loopSafe(unsigned Id, AllocSite &S);
  void explain(unsigned Id, AllocSite &S);
};
} // namespace

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

bool SiteDecider::sizeAndAlign(AllocSite &S) {
  CallBase &CB = *S.Call;
  const Function *Callee = CB.getCalledFunction();
  std::optional<LibFunc> LF = libFuncOf(CB, TLI);
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
  AllocSite S;
  S.Call = cast<CallBase>(O.Def);
  S.Label = allocLabel(*S.Call);
  auto Keep = [&](Reason R) {
    if (S.Why.empty())
      S.Why = std::move(R);
    Out.Sites.push_back(std::move(S));
  };
  if (O.Escaped || O.Pinned) {
    S.Why = O.Why;
    if (Explain)
      explain(Id, S);
    return Keep(O.Why);
  }
  if (O.IsWrapperCall) {
    std::string Blocker = wrapperInlineBlocker(*S.Call, FAM);
    if (!Blocker.empty()) {
      LLVM_DEBUG(dbgs() << "escalloc: not inlining " << *S.Call << ": "
                        << Blocker << "\n");
      return Keep(Reason{"allocated by @", S.Call->getCalledFunction(),
                         ", which is not inlined: " + Blocker});
    }
    S.InlineWrapper = true;
    return Keep(Reason{"allocated by wrapper @", S.Call->getCalledFunction(),
                       " (not inlined)"});
  }
  if (!sizeAndAlign(S))
    return Keep(S.Why);
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
  S.Promote = true;
  S.Frees = O.Frees;
  Out.PromotedBytes += S.Size;
  Out.Sites.push_back(std::move(S));
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

//===----------------------------------------------------------------------===//
// The module walk
//===----------------------------------------------------------------------===//

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
static bool isAllocWrapper(Function &F, const FunctionAnalyzer &Solved,
                           const TargetLibraryInfo &TLI,
                           SummaryLookup Lookup) {
  if (!F.getReturnType()->isPointerTy() || F.isVarArg() ||
      !F.hasExactDefinition() || Solved.CallsSetjmp || Solved.HasMustTail ||
      Solved.SiteIds.empty() || F.getInstructionCount() > WrapperSize)
    return false;
  FunctionAnalyzer W(F, TLI, Lookup);
  W.ReturnIsEscape = false;
  W.solve();
  int Site = -1;
  for (BasicBlock &BB : F)
    if (auto *RI = dyn_cast<ReturnInst>(BB.getTerminator())) {
      PtsSet S = W.ptsOf(RI->getReturnValue());
      if (S.empty())
        continue; // returns null
      if (S.size() != 1 || (Site >= 0 && (int)S[0] != Site))
        return false;
      Site = S[0];
    }
  if (Site < 0)
    return false;
  const Obj &O = W.Objs[Site];
  return O.Kind == ObjKind::Site && O.Returned && !O.Escaped && !O.Pinned;
}

std::string wrapperInlineBlocker(CallBase &CB, FunctionAnalysisManager &FAM) {
  Function *Callee = CB.getCalledFunction();
  if (!Callee || Callee->isDeclaration())
    return "its body is not in the module";
  Function &Caller = *CB.getFunction();
  // The user's own words first: they asked for a function that stays one.
  if (Callee->hasFnAttribute(Attribute::NoInline) || CB.isNoInline())
    return "it is marked noinline (promotion into the caller's frame "
           "without inlining is not implemented)";
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

/// Whether solving \p F would find a site: an allocation call or a call to
/// a known allocation wrapper (callees are analysed first).
static bool hasSite(Function &F, const TargetLibraryInfo &TLI,
                    const EscapeInfo &Info) {
  for (BasicBlock &BB : F)
    for (Instruction &I : BB)
      if (auto *CB = dyn_cast<CallBase>(&I)) {
        if (isAllocationCall(*CB, TLI))
          return true;
        if (const Function *G = CB->getCalledFunction())
          if (const FunctionEscapeInfo *GI = Info.lookup(*G))
            if (GI->IsAllocWrapper)
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
      FI.Recursive = Recursive;
      FI.HiddenRecursion = !Recursive && Hidden.contains(F);
    }
    auto Lookup = [&](const Function &G) -> const FunctionEscapeInfo * {
      auto It = Info.Functions.find(&G);
      return It == Info.Functions.end() ? nullptr : &It->second;
    };

    // Summaries within an SCC rise from the optimistic bottom to a fixed
    // point; a single function without a cycle needs one round.
    std::vector<std::unique_ptr<FunctionAnalyzer>> Analyzers;
    for (unsigned Round = 0;; ++Round) {
      bool SummaryChanged = false;
      Analyzers.clear();
      for (Function *F : Fns) {
        auto FA = std::make_unique<FunctionAnalyzer>(
            *F, FAM.getResult<TargetLibraryAnalysis>(*F), Lookup);
        FA->PreciseBits = !Recursive;
        FA->solve();
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
        for (unsigned I = 0; I < S.size(); ++I)
          S[I] |= Old[I]; // monotone
        if (S != Old) {
          Old = S;
          SummaryChanged = true;
        }
        if (FI.ReturnsOnlyParams && !FA->ReturnsOnlyParams) {
          FI.ReturnsOnlyParams = false;
          SummaryChanged = true;
        }
        Analyzers.push_back(std::move(FA));
      }
      if (!Recursive || !SummaryChanged)
        break;
      if (Round == 32) { // cannot happen for a monotone lattice; stay sound
        for (Function *F : Fns) {
          for (unsigned &Fl : Info.Functions[F].ParamSummary)
            Fl = ParamLeaks | ParamToResult | ParamFreed | ParamContentLeaks |
                 ParamContentToResult;
          Info.Functions[F].ReturnsOnlyParams = false;
        }
        break;
      }
    }

    for (unsigned K = 0; K < Fns.size(); ++K) {
      Function &F = *Fns[K];
      FunctionAnalyzer &FA = *Analyzers[K];
      FunctionEscapeInfo &FI = Info.Functions[&F];
      FI.IsAllocWrapper =
          !Recursive && WrapperSize &&
          isAllocWrapper(F, FA, FAM.getResult<TargetLibraryAnalysis>(F), Lookup);
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
                    FAM};
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

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

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
        if (unsigned K = count_if(S.Frees, [&](CallBase *Free) {
              return is_contained(FI.KeptFrees, Free);
            }))
          OS << " (" << K << " may free another object)";
        if (S.InLoop)
          OS << ", in loop";
        if (S.Zeroed)
          OS << ", zeroed";
        if (S.RuntimeFallback)
          OS << ", run-time fallback";
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
