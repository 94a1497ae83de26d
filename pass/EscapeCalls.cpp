//===- EscapeCalls.cpp - calls in the location graph ----------------------===//
//
// How a call moves pointers in FunctionAnalyzer's location graph: which
// calls allocate, free or reallocate; an argument by its callee's summary
// (a defined function analysed earlier) or by its attributes (a
// declaration); and the C library the attributes do not describe fully:
// formatted I/O, scanf, functions that return a pointer into their first
// argument or write an integer argument out.  LibCalls.cpp says which
// library function a call is (glibc's *_chk forms included).
//
//===----------------------------------------------------------------------===//
#include "FunctionAnalyzer.h"
#include "AllocHooks.h"
#include "LibCalls.h"

#include "llvm/Analysis/MemoryBuiltins.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/Support/CommandLine.h"

using namespace llvm;

static cl::opt<bool> GrowOnStack(
    "escalloc-grow", cl::init(true),
    cl::desc("Start growable buffers (a site whose only non-local uses are "
             "reallocs of itself) on the stack; false keeps a realloc'ed "
             "site on the heap (default true)"));

namespace escalloc {

// MemoryBuiltins recognises malloc & co. only once inferattrs has annotated
// the declarations; the inventory runs before that, so the TLI's own name
// and prototype check is the fallback.
std::optional<LibFunc> libFuncOf(const CallBase &CB,
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

Value *freedOperand(CallBase &CB, const TargetLibraryInfo &TLI) {
  if (Value *V = getFreedOperand(&CB, &TLI))
    return V;
  if (libFuncOf(CB, TLI) == LibFunc_free && CB.arg_size() == 1)
    return CB.getArgOperand(0);
  if (freeHook(CB, TLI))
    return CB.getArgOperand(0);
  return nullptr;
}

Value *reallocatedOperand(CallBase &CB, const TargetLibraryInfo &TLI) {
  if (Value *V = getReallocatedOperand(&CB))
    return V;
  auto LF = libFuncOf(CB, TLI);
  if ((LF == LibFunc_realloc || LF == LibFunc_reallocf) && CB.arg_size() == 2)
    return CB.getArgOperand(0);
  if (reallocHook(CB, TLI))
    return CB.getArgOperand(0);
  return nullptr;
}

/// realloc(p, n) where p points to allocation sites only: the result is the
/// same buffer (\p Result: those sites), which the rewrite grows in its
/// stack slot while it fits and moves to the heap beyond.  Returns false,
/// and changes nothing, for any other realloc (reallocf, a parameter's
/// memory, a null or unknown pointer): the caller's generic rule applies.
/// A realloc that may grow one of two sites, or an invoke, pins them.
/// A call of a realloc wrapper (ReallocParam) is read the same way: the
/// site policy inlines it where the buffer would be promoted.
bool FunctionAnalyzer::visitRealloc(CallBase &CB, Value *Old,
                                    PtsSet &Result) {
  std::optional<LibFunc> LF = libFuncOf(CB, TLI);
  bool Hook = LF != LibFunc_realloc && reallocHook(CB, TLI);
  const FunctionEscapeInfo *CI = calleeInfo(CB);
  bool Wrapper = !LF && !Hook && CI && CI->ReallocParam >= 0;
  if (!GrowOnStack || (LF != LibFunc_realloc && !Hook && !Wrapper) ||
      !CB.getType()->isPointerTy())
    return false;
  PtsSet S = ptsOf(Old);
  if (S.empty() && !SettleReallocs && !isa<Constant>(Old)) {
    DeferredRealloc = true; // known later, or settled as a fresh object
    return true;
  }
  // What a hook returned may also be its allocator's memory (External):
  // the rewrite reallocates whatever is not the slot as before.
  bool External = S.remove(0);
  if (S.empty() || any_of(S, [&](unsigned X) {
        return Objs[X].Kind != ObjKind::Site || Objs[X].IsWrapperCall ||
               (External && !Objs[X].IsHookCall);
      }))
    return false;
  if (External)
    Result.insert(0);
  auto It = ObjOf.find(&CB);
  if (It != ObjOf.end() && !Objs[It->second].GrowsSite) {
    Objs[It->second].GrowsSite = true;
    Changed = true;
  }
  // A realloc wrapper off its path to realloc (gawk's pma_realloc with a
  // heap file) reads the object and returns its allocator's memory, which
  // that allocator may still reach.
  if (Hook)
    Result.insert(0);
  for (unsigned X : S) {
    Obj &O = Objs[X];
    if (Hook)
      escapeContents(X, Reason{"reallocated through a wrapper"}, &CB);
    Result.insert(X);
    if (S.size() > 1)
      pin(X, Reason{"reallocated by a realloc that may also reallocate "
                    "another pointer"},
          &CB);
    else if (!isa<CallInst>(CB))
      pin(X, Reason{"reallocated by an invoke"}, &CB);
    else if (!is_contained(O.Reallocs, &CB)) {
      O.Reallocs.push_back(&CB);
      Changed = true;
    }
  }
  // The new size's bits, if any, are data to the buffer: nothing to do.
  return true;
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
void FunctionAnalyzer::visitFormattedArg(CallBase &CB, unsigned I, bool Scan,
                                         unsigned FmtArg, int Param,
                                         const PtsSet &S) {
  const Function *Callee = CB.getCalledFunction();
  std::string ArgText = " argument " + std::to_string(Param + 1);
  Value *A = CB.getArgOperand(I);
  if (Scan) {
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
    return visitFormattedArg(CB, I, isScanf(Lib->func()),
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
    if (!Lib)
      storeThroughArgs(CB, I, S, ArgText);
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
  if (!Lib)
    storeThroughArgs(CB, I, S, ArgText);
}

/// The general rule for a declaration that is no C library function: even
/// `nocapture`, it may store its pointer argument \p I through any of its
/// pointer arguments, wherever it may write (the first level of each one it
/// does not only read; every level below unless it touches argument memory
/// only).  C library functions follow their LLVM attributes and, where they
/// store through output parameters, their OutputModel.
void FunctionAnalyzer::storeThroughArgs(CallBase &CB, unsigned I,
                                        const PtsSet &S,
                                        const std::string &ArgText) {
  if (CB.onlyReadsMemory())
    return;
  bool Deep = !CB.onlyAccessesArgMemory();
  const Function *Callee = CB.getCalledFunction();
  for (unsigned J = 0, E = CB.arg_size(); J != E; ++J) {
    Value *B = CB.getArgOperand(J);
    if (!B->getType()->isPointerTy())
      continue;
    PtsSet T = ptsOf(B);
    PtsSet Into;
    if (!CB.onlyReadsMemory(J))
      Into = T;
    if (Deep)
      for (unsigned Y : reachableFrom(T))
        Into.insert(Y);
    for (unsigned D : Into) {
      if (isExternalMem(D) || Objs[D].ContentsEscape)
        escapeAll(S,
                  Callee ? Reason{"passed to @", Callee,
                                  ArgText + " which may store it in memory "
                                            "its pointer arguments reach"}
                         : Reason{"passed to an indirect call"},
                  &CB);
      storeInto(D, S, &CB, std::nullopt, 0);
    }
  }
}

/// The objects \p Depth loads below pointer \p A (0: those it points to).
PtsSet FunctionAnalyzer::below(const Value *A, unsigned Depth) const {
  PtsSet S = ptsOf(A);
  for (; Depth; --Depth) {
    PtsSet N;
    for (unsigned X : S)
      for (unsigned Y : loadFrom(X, false, std::nullopt, 0))
        N.insert(Y);
    S = std::move(N);
  }
  return S;
}

/// A C library function with output parameters, by its OutputModel: each
/// pointer argument is neither captured nor freed except as the model says.
void FunctionAnalyzer::visitCallByModel(CallBase &CB, const ModelCall &MC,
                                        PtsSet &Result) {
  const OutputModel &M = MC.model();
  const Function *Callee = CB.getCalledFunction();
  for (unsigned I = 0, E = CB.arg_size(); I != E; ++I) {
    Value *A = CB.getArgOperand(I);
    PtsSet S = ptsOf(A);
    int P = MC.paramOf(I);
    if (S.empty() || P < 0)
      continue;
    std::string ArgText = " argument " + std::to_string(P + 1);
    if (unsigned(P) >= M.NumParams) {
      if (M.FormatArg >= 0)
        visitFormattedArg(CB, I, /*Scan=*/false, MC.argOf(M.FormatArg), P, S);
      else
        escapeAll(S, Reason{"passed to variadic @", Callee}, &CB, true);
      continue;
    }
    if (!A->getType()->isPointerTy()) {
      // Integer bits only reach the result (strtol's base).
      for (unsigned X : S)
        Result.insert(X);
      continue;
    }
    if (M.Publishes >> P & 1)
      for (unsigned X : S)
        escapeContents(X, Reason{"its contents may be published by @", Callee},
                       &CB);
    if (M.Reallocs >> P & 1)
      for (unsigned Y : below(A, 1)) {
        Obj &O = Objs[Y];
        if (O.Kind == ObjKind::Pointee) {
          if (!O.Freed)
            Changed = true;
          O.Freed = true;
          escapeContents(Y, Reason{"copied by realloc"}, &CB);
        } else {
          markEscaped(Y, Reason{"reallocated by @", Callee, ArgText}, &CB, -1);
        }
      }
    if (M.Fresh >> P & 1)
      for (unsigned X : S)
        storeInto(X, one(0), &CB, std::nullopt, 0);
  }
  for (const OutputModel::Flow &Fl : M.Flows) {
    PtsSet V = below(CB.getArgOperand(MC.argOf(Fl.From)), Fl.FromDepth);
    if (Fl.Into < 0) {
      for (unsigned X : V)
        Result.insert(X);
      continue;
    }
    for (unsigned D :
         below(CB.getArgOperand(MC.argOf(Fl.Into)), Fl.IntoDepth)) {
      if (isExternalMem(D) || Objs[D].ContentsEscape)
        escapeAll(V,
                  Reason{"stored by @", Callee,
                         " through argument " + std::to_string(Fl.Into + 1)},
                  &CB);
      storeInto(D, V, &CB, std::nullopt, 0);
    }
  }
  if (M.ResultFresh)
    Result.insert(0);
}

void FunctionAnalyzer::visitArgBySummary(CallBase &CB, unsigned I,
                                         unsigned Flags,
                                         const FunctionEscapeInfo &CI,
                                         CallResult &Result) {
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
          Result.add(I, 3, Y);
    }
  }
  // An integer may be turned back into a pointer and written through too.
  clobberContents(CB, I, S);
  // A byval argument: the callee reads a copy of our object, never the
  // object itself.  Its copy leaking, returned or freed lets out what we
  // stored in it, not the object.
  if (CB.isByValArgument(I) && (Flags & (ParamLeaks | ParamToResult |
                                         ParamFreed))) {
    for (unsigned X : S)
      escapeContents(X, Reason{"its copy leaks through @", Callee, ArgText},
                     &CB);
    Flags &= ~unsigned(ParamLeaks | ParamToResult | ParamFreed);
  }
  if (Flags & ParamLeaks)
    escapeAll(S, Reason{"passed to @", Callee, ArgText + " which leaks it"},
              &CB);
  if (Flags & ParamToResult)
    for (unsigned X : S)
      Result.add(I, 0, X);
  // The callee's content has two levels: what the pointers stored in the
  // parameter's pointee point to, and every level below that.
  if (Flags & ParamContentToResult)
    for (unsigned Y : below(A, 1))
      Result.add(I, 1, Y);
  if (Flags & ParamContent2ToResult)
    for (unsigned Y : reachableFrom(below(A, 1)))
      Result.add(I, 2, Y);
  if (Flags & ParamContentLeaks)
    for (unsigned X : S)
      escapeContents(X,
                     Reason{"its contents leak through @", Callee, ArgText},
                     &CB);
  else if (Flags & ParamContent2Leaks)
    for (unsigned X : below(A, 1))
      escapeContents(X,
                     Reason{"what its contents point to leaks through @",
                            Callee, ArgText},
                     &CB);
  if (Flags & ParamFreed)
    for (unsigned X : S) {
      Obj &O = Objs[X];
      if (O.Kind == ObjKind::Pointee) {
        setFlag(O.Freed);
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
    // A deallocation hook the user replaced (a wrapper's other path) may
    // read the object first.
    if (freeHook(CB, TLI))
      for (unsigned X : ptsOf(Freed))
        escapeContents(X, Reason{"freed through a hook the user may replace"},
                       &CB);
    return;
  }
  Value *Old = reallocatedOperand(CB, TLI);
  // realloc(p, n) of a site p yields p's buffer again (a growable buffer is
  // one object: the rewrite keeps it in its stack slot while it fits).
  PtsSet Grown;
  if (Old && visitRealloc(CB, Old, Grown)) {
    addPts(&CB, Grown);
    return;
  }
  // A realloc wrapper's call, likewise; its other arguments escape.
  if (const FunctionEscapeInfo *CI = calleeInfo(CB);
      !Old && CI && CI->ReallocParam >= 0 &&
      unsigned(CI->ReallocParam) < CB.arg_size() &&
      visitRealloc(CB, CB.getArgOperand(CI->ReallocParam), Grown)) {
    for (unsigned I = 0, E = CB.arg_size(); I != E; ++I)
      if (int(I) != CI->ReallocParam)
        escapeAll(ptsOf(CB.getArgOperand(I)),
                  Reason{"passed to realloc wrapper @", CB.getCalledFunction()},
                  &CB, true);
    addPts(&CB, Grown);
    return;
  }
  if (Old) {
    for (unsigned X : ptsOf(Old)) {
      Obj &O = Objs[X];
      if (O.Kind == ObjKind::Pointee) {
        setFlag(O.Freed);
        escapeContents(X, Reason{"copied by realloc"}, &CB);
      } else {
        markEscaped(X, Reason{"passed to realloc"}, &CB, -1);
      }
    }
  }

  const Function *Callee = CB.getCalledFunction();
  const FunctionEscapeInfo *CalleeInfo = calleeInfo(CB);
  // An aggregate argument is not followed into the callee: what its fields
  // point to is published.
  for (Value *A : CB.args())
    if (isTrackedAgg(A->getType()))
      escapeAll(ptsOf(A),
                Callee ? Reason{"passed in an aggregate to @", Callee}
                       : Reason{"passed in an aggregate to an indirect call"},
                &CB, true);
  // An aggregate result the callee's summary describes field by field.
  CallResult CR(Result);
  bool AggResult = tracksCallResult(CB);
  if (AggResult) {
    CR.Callee = CalleeInfo;
    CR.Leaves.resize(aggLeaves(CB.getType())->size());
  }
  const SmallVectorImpl<unsigned> *Summary =
      CalleeInfo ? &CalleeInfo->ParamSummary : nullptr;
  std::optional<ModelCall> Model;
  if (!Summary)
    Model = ModelCall::get(CB);
  if (Model)
    visitCallByModel(CB, *Model, Result);
  for (unsigned I = 0, E = CB.arg_size(); I != E && !Model; ++I) {
    if (CB.getArgOperand(I) == Old)
      continue;
    if (!carriesBits(CB.getArgOperand(I)->getType()))
      continue;
    if (Summary && I < Summary->size())
      visitArgBySummary(CB, I, (*Summary)[I], *CalleeInfo, CR);
    else if (Summary)
      escapeAll(ptsOf(CB.getArgOperand(I)),
                Reason{"passed to variadic @", Callee}, &CB, true);
    else
      visitArgByAttributes(CB, I, Result);
  }
  // An sret callee's result is what it stored into the slot we pass: it
  // goes into our slot (the summary's "to result" facts, ResultSlot).
  if (Summary)
    for (unsigned I = 0, E = CB.arg_size(); I != E; ++I)
      if (CB.paramHasAttr(I, Attribute::StructRet)) {
        PtsSet Into = Result;
        if (!CalleeInfo->ReturnsOnlyParams)
          Into.insert(0);
        for (unsigned D : ptsOf(CB.getArgOperand(I)))
          storeInto(D, Into, &CB, std::nullopt, 0);
      }
  // Operand bundles (deopt, funclet, ...) are opaque uses.
  for (unsigned I = 0, E = CB.getNumOperandBundles(); I != E; ++I) {
    if (isa<AssumeInst>(CB))
      break;
    for (const Use &U : CB.getOperandBundleAt(I).Inputs)
      escapeAll(ptsOf(U.get()), Reason{"used by an operand bundle"}, &CB,
                true);
  }

  if (AggResult) {
    const SmallVector<AggLeaf, 4> &L = *aggLeaves(CB.getType());
    for (unsigned K = 0; K < L.size(); ++K) {
      if (ptrLike(L[K].Ty) && !CalleeInfo->ReturnsOnlyParams)
        CR.Leaves[K].insert(0);
      addLeafPts(&CB, K, CR.Leaves[K]);
    }
    return;
  }
  if (!carriesBits(CB.getType())) {
    // A vector or aggregate result (llvm.masked.load, a gather,
    // llvm.uadd.with.overflow) may carry pointers read out of the
    // arguments' objects, or the bits of an integer argument; it is not
    // followed.
    Type *T = CB.getType();
    // A summary that returns pointers in an aggregate this call does not
    // follow field by field (a variadic call, another function type).
    if (!Result.empty() && (T->isVectorTy() || T->isAggregateType()))
      escapeAll(Result,
                Reason{"returned in an aggregate not followed from @", Callee},
                &CB);
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
    // A hook replaced by the user returns its allocator's memory, which
    // that allocator may still reach: storing into it publishes.
    if (Objs[It->second].IsHookCall)
      addPts(&CB, one(0));
    return;
  }
  // A defined callee that returns only its parameters returns nothing else.
  if (ptrLike(CB.getType()) && (!CalleeInfo || !CalleeInfo->ReturnsOnlyParams))
    Result.insert(0);
  addPts(&CB, Result);
}

} // namespace escalloc
