//===- Lowering.cpp - Lowering of heap allocations to mallocgc ------------===//
//
// Rewrites every C allocation call that the heap-to-stack rewrite left on the
// heap to the runtime entry points of include/escalloc/abi.h:
//
//   malloc(N)          -> escalloc_mallocgc_spc(N, class << 1 | noscan)
//                         N constant and not a tiny object: nothing is left
//                         for the runtime to decide, so no flags are passed
//   malloc(N)          -> escalloc_mallocgc_class(N, class, flags)   N constant,
//                         NOSCAN and under ESCALLOC_TINY_SIZE (tiny allocator)
//   malloc(n)          -> escalloc_mallocgc(n, flags)
//   calloc(N, M)       -> escalloc_mallocgc_class(N*M, class, flags|NEEDZERO)
//                         when N*M is a constant small size, else
//                         escalloc_calloc(n, m, flags|NEEDZERO), which keeps
//                         the overflow -> NULL/ENOMEM check
//   aligned_alloc(a,n) -> escalloc_aligned_alloc(a, n, flags)
//   realloc(p, n)      -> escalloc_realloc(p, n)
//   free(p)            -> escalloc_free(p)
//
// The size class comes from rtlib/sizeclasses.h, the table the runtime uses,
// so the two cannot disagree.  The flags (NOSCAN, ALIGN8) come from
// inferObjectFacts (LowerFlags.cpp); NOSCAN is withheld where the tiny
// allocator's alignment would not do (keepTinyAlignment).  Calls are
// recognised through TargetLibraryInfo, so -fno-builtin, nobuiltin calls and
// a program that defines its own malloc are left alone.
//
// The entry points are declared with allockind/allocsize/"alloc-family", so
// LLVM still sees allocations after the rewrite (dead ones still fold), and
// every lowered module references the runtime's ABI symbol, so it fails to
// link against a runtime of another ABI version.
//
//===----------------------------------------------------------------------===//
#include "Lowering.h"
#include "LowerFlags.h"
#include "LibCalls.h"
#include "Remarks.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallSet.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Analysis/MemoryBuiltins.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Attributes.h"
#include "llvm/IR/DiagnosticInfo.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/KnownBits.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include "escalloc/abi.h"
#include <cstdlib>
#include <dlfcn.h>
#include "sizeclasses.h"

#define DEBUG_TYPE "escalloc"

using namespace llvm;

static cl::opt<bool> LowerEnabled(
    "escalloc-lower", cl::init(true),
    cl::desc("Lower the allocations left on the heap to the escalloc runtime's "
             "mallocgc entry points; false keeps plain malloc/free for another "
             "allocator (default: true)"));

static cl::opt<bool> FallbacksEnabled(
    "escalloc-fallbacks", cl::init(true),
    cl::desc("Give the escalloc_* entry points a lowered module calls weak "
             "definitions on malloc/free, so that the object also links without "
             "the runtime (default: true; false: linking without the runtime "
             "fails with undefined escalloc_* symbols)"));

STATISTIC(NumLoweredClass, "Allocations lowered with a compile-time size class");
STATISTIC(NumLoweredSpanClass,
          "Allocations lowered with a compile-time span class (no flags left)");
STATISTIC(NumLoweredVariable, "Allocations lowered without a size class");
STATISTIC(NumLoweredFree, "free/realloc calls lowered");
STATISTIC(NumNoScan, "Lowered allocations proven noscan");
STATISTIC(NumAlign8, "Lowered allocations proven align8");

namespace escalloc {

bool isLoweringEnabled() { return LowerEnabled; }

Function *definedAllocator(Module &M) {
  for (const char *Name : {"malloc", "free", "calloc", "realloc"})
    if (Function *F = M.getFunction(Name); F && !F->isDeclaration())
      return F;
  return nullptr;
}

Function *reportDefinedAllocator(Module &M, FunctionAnalysisManager &FAM) {
  Function *F = definedAllocator(M);
  if (!F)
    return nullptr;
  LLVM_DEBUG(dbgs() << "escalloc: module defines " << F->getName() << "; left alone\n");
  OptimizationRemarkEmitter &ORE = FAM.getResult<OptimizationRemarkEmitterAnalysis>(*F);
  ORE.emit([&] {
    return OptimizationRemarkAnalysis(DEBUG_TYPE, "ProgramAllocator", F)
           << "the program defines its own " << ore::NV("Callee", F->getName())
           << ": its allocations keep their calls (none moved to the stack or "
              "lowered; escalloc's runtime forwards to this allocator)";
  });
  return F;
}

namespace {

/// The name of the hidden constant that pins the ABI symbol in every lowered
/// object file.
constexpr const char *ABIRefName = "__escalloc_abi_ref";

enum class Entry { Mallocgc, MallocgcClass, MallocgcSpc, Calloc, AlignedAlloc, Realloc, Free };
constexpr Entry AllEntries[] = {Entry::Mallocgc,     Entry::MallocgcClass, Entry::MallocgcSpc,
                                Entry::Calloc,       Entry::AlignedAlloc,  Entry::Realloc,
                                Entry::Free};

/// One call to rewrite.
struct Site {
  CallInst *Call;
  LibFunc Func;
  ObjectFacts Facts;
};

/// Declares the runtime's entry points in one module, with the attributes
/// that keep them visible to LLVM as malloc-family allocation functions.
class EntryPoints {
public:
  explicit EntryPoints(Module &M)
      : M(M), Ctx(M.getContext()), SizeTy(M.getDataLayout().getIntPtrType(Ctx)),
        FlagsTy(Type::getInt32Ty(Ctx)), PtrTy(PointerType::getUnqual(Ctx)) {}

  /// The declaration of \p E, or null (after reporting an error) when the
  /// module already has the name with another type.
  Function *get(Entry E);
  Type *sizeType() const { return SizeTy; }
  Type *flagsType() const { return FlagsTy; }
  /// Whether the module defines one of the entry points (it is the runtime).
  bool definedHere() const;

private:
  Module &M;
  LLVMContext &Ctx;
  Type *SizeTy, *FlagsTy, *PtrTy;
  /// Entries already reported as clashing, so each error is given once.
  SmallSet<unsigned, 2> Clashed;
};

const char *entryName(Entry E) {
  switch (E) {
  case Entry::Mallocgc: return "escalloc_mallocgc";
  case Entry::MallocgcClass: return "escalloc_mallocgc_class";
  case Entry::MallocgcSpc: return "escalloc_mallocgc_spc";
  case Entry::Calloc: return "escalloc_calloc";
  case Entry::AlignedAlloc: return "escalloc_aligned_alloc";
  case Entry::Realloc: return "escalloc_realloc";
  case Entry::Free: return "escalloc_free";
  }
  llvm_unreachable("unknown entry point");
}

bool EntryPoints::definedHere() const {
  // The weak fallbacks a lowered module carries (defineFallbacks) do not
  // make it the runtime.
  for (Entry E : AllEntries)
    if (const Function *F = M.getFunction(entryName(E));
        F && !F->isDeclaration() && !F->isInterposable())
      return true;
  return false;
}

Function *EntryPoints::get(Entry E) {
  FunctionType *FTy;
  AttrBuilder Fn(Ctx), Ret(Ctx);
  SmallVector<AttrBuilder, 3> Params;
  auto Param = [&](unsigned I) -> AttrBuilder & {
    while (Params.size() <= I)
      Params.emplace_back(Ctx);
    return Params[I];
  };
  Fn.addAttribute(Attribute::NoUnwind).addAttribute(Attribute::WillReturn);
  Fn.addAttribute("alloc-family", "malloc");
  if (E == Entry::Realloc || E == Entry::Free)
    Fn.addMemoryAttr(MemoryEffects::argMemOnly() | MemoryEffects::inaccessibleMemOnly());
  else
    Fn.addMemoryAttr(MemoryEffects::inaccessibleMemOnly());
  if (E != Entry::Free)
    Ret.addAttribute(Attribute::NoAlias).addAttribute(Attribute::NoUndef);

  switch (E) {
  case Entry::Mallocgc:
    // Zeroed or not depends on NEEDZERO: each call site says which.
    FTy = FunctionType::get(PtrTy, {SizeTy, FlagsTy}, false);
    Fn.addAllocKindAttr(AllocFnKind::Alloc).addAllocSizeAttr(0, std::nullopt);
    break;
  case Entry::MallocgcClass:
    FTy = FunctionType::get(PtrTy, {SizeTy, FlagsTy, FlagsTy}, false);
    Fn.addAllocKindAttr(AllocFnKind::Alloc).addAllocSizeAttr(0, std::nullopt);
    break;
  case Entry::MallocgcSpc:
    // Never zeroed: the pass sends NEEDZERO to the class entry.
    FTy = FunctionType::get(PtrTy, {SizeTy, FlagsTy}, false);
    Fn.addAllocKindAttr(AllocFnKind::Alloc | AllocFnKind::Uninitialized)
        .addAllocSizeAttr(0, std::nullopt);
    break;
  case Entry::Calloc:
    FTy = FunctionType::get(PtrTy, {SizeTy, SizeTy, FlagsTy}, false);
    Fn.addAllocKindAttr(AllocFnKind::Alloc | AllocFnKind::Zeroed).addAllocSizeAttr(0, 1);
    break;
  case Entry::AlignedAlloc:
    FTy = FunctionType::get(PtrTy, {SizeTy, SizeTy, FlagsTy}, false);
    Fn.addAllocKindAttr(AllocFnKind::Alloc | AllocFnKind::Uninitialized | AllocFnKind::Aligned)
        .addAllocSizeAttr(1, std::nullopt);
    Param(0).addAttribute(Attribute::AllocAlign);
    break;
  case Entry::Realloc:
    FTy = FunctionType::get(PtrTy, {PtrTy, SizeTy}, false);
    Fn.addAllocKindAttr(AllocFnKind::Realloc).addAllocSizeAttr(1, std::nullopt);
    Param(0).addAttribute(Attribute::AllocatedPointer);
    break;
  case Entry::Free:
    FTy = FunctionType::get(Type::getVoidTy(Ctx), {PtrTy}, false);
    Fn.addAllocKindAttr(AllocFnKind::Free);
    Param(0).addAttribute(Attribute::AllocatedPointer).addAttribute(Attribute::NoCapture);
    break;
  }
  for (unsigned I = 0, N = FTy->getNumParams(); I != N; ++I)
    if (!FTy->getParamType(I)->isPointerTy())
      Param(I).addAttribute(Attribute::NoUndef);

  StringRef Name = entryName(E);
  Function *F = M.getFunction(Name);
  if (F && F->getFunctionType() != FTy) {
    if (Clashed.insert(static_cast<unsigned>(E)).second)
      Ctx.emitError("escalloc: " + Name + " is declared with a type other than "
                    "escalloc/abi.h's; allocations not lowered");
    return nullptr;
  }
  if (!F)
    F = Function::Create(FTy, GlobalValue::ExternalLinkage, Name, M);
  F->addFnAttrs(Fn);
  F->addRetAttrs(Ret);
  for (unsigned I = 0; I != Params.size(); ++I)
    F->addParamAttrs(I, Params[I]);
  return F;
}

/// Makes the module reference escalloc_abi_v1, weakly (the object also links
/// without a runtime, on its fallbacks), from a hidden linkonce_odr constant
/// kept by llvm.used (which also survives --gc-sections): the object says
/// which ABI it was lowered for (`nm`: "w escalloc_abi_v1").
void referenceABISymbol(Module &M) {
  if (M.getNamedGlobal(ABIRefName))
    return;
  LLVMContext &Ctx = M.getContext();
  GlobalVariable *ABI = M.getNamedGlobal(ESCALLOC_ABI_SYMBOL);
  if (!ABI)
    ABI = new GlobalVariable(M, Type::getInt32Ty(Ctx), /*isConstant=*/true,
                             GlobalValue::ExternalWeakLinkage, nullptr, ESCALLOC_ABI_SYMBOL);
  auto *Ref = new GlobalVariable(M, PointerType::getUnqual(Ctx), /*isConstant=*/true,
                                 GlobalValue::LinkOnceODRLinkage, ABI, ABIRefName);
  Ref->setVisibility(GlobalValue::HiddenVisibility);
  if (M.getTargetTriple().empty() || Triple(M.getTargetTriple()).supportsCOMDAT())
    Ref->setComdat(M.getOrInsertComdat(ABIRefName));
  appendToUsed(M, {Ref});
}

/// Gives each entry point the module calls a weak definition on the C
/// allocator (malloc, calloc, aligned_alloc, realloc, free), so that the
/// object also links without the runtime: a static archive built by escc and
/// linked by gcc, or a shared library whose host is not built by escc.
/// Linked with the runtime (an escc executable: whole archive), the
/// runtime's strong definitions win; in a shared library the loader binds to
/// the first definition in the lookup order (an escc executable's runtime,
/// else these).  Each is in a comdat of its name, so a program keeps one
/// copy, and interposable, so LLVM never inlines one.  The calls inside are
/// nobuiltin: no pass recognises, lowers or deletes them.
bool defineFallbacks(Module &M) {
  bool Defined = false;
  LLVMContext &Ctx = M.getContext();
  bool Comdats = M.getTargetTriple().empty() || Triple(M.getTargetTriple()).supportsCOMDAT();
  for (Entry E : AllEntries) {
    Function *F = M.getFunction(entryName(E));
    if (!F || !F->isDeclaration())
      continue;
    Type *PtrTy = PointerType::getUnqual(Ctx);
    Type *SizeTy = F->getFunctionType()->getParamType(E == Entry::Realloc ? 1 : 0);
    auto C = [&](const char *Name, Type *Ret, ArrayRef<Type *> Params) {
      return M.getOrInsertFunction(Name, FunctionType::get(Ret, Params, false));
    };
    LLVM_DEBUG(dbgs() << "escalloc: weak fallback for " << F->getName() << "\n");
    Defined = true;
    F->setLinkage(GlobalValue::WeakAnyLinkage);
    if (Comdats)
      F->setComdat(M.getOrInsertComdat(F->getName()));
    IRBuilder<> B(BasicBlock::Create(Ctx, "entry", F));
    auto Call = [&](FunctionCallee Callee, ArrayRef<Value *> Args) {
      CallInst *CI = B.CreateCall(Callee, Args);
      CI->addFnAttr(Attribute::NoBuiltin);
      return CI;
    };
    Value *A0 = F->getArg(0);
    Value *Result = nullptr;
    switch (E) {
    case Entry::Mallocgc:
    case Entry::MallocgcClass: {
      // calloc(1, size) when the flags ask for zeroed memory.
      Value *Flags = F->getArg(E == Entry::Mallocgc ? 1 : 2);
      Value *Zero = B.CreateICmpNE(B.CreateAnd(Flags, ESCALLOC_NEEDZERO),
                                   ConstantInt::get(Flags->getType(), 0));
      BasicBlock *ZeroBB = BasicBlock::Create(Ctx, "zeroed", F);
      BasicBlock *PlainBB = BasicBlock::Create(Ctx, "plain", F);
      B.CreateCondBr(Zero, ZeroBB, PlainBB);
      B.SetInsertPoint(ZeroBB);
      B.CreateRet(Call(C("calloc", PtrTy, {SizeTy, SizeTy}), {ConstantInt::get(SizeTy, 1), A0}));
      B.SetInsertPoint(PlainBB);
      Result = Call(C("malloc", PtrTy, {SizeTy}), {A0});
      break;
    }
    case Entry::MallocgcSpc:
      Result = Call(C("malloc", PtrTy, {SizeTy}), {A0});
      break;
    case Entry::Calloc:
      Result = Call(C("calloc", PtrTy, {SizeTy, SizeTy}), {A0, F->getArg(1)});
      break;
    case Entry::AlignedAlloc:
      Result = Call(C("aligned_alloc", PtrTy, {SizeTy, SizeTy}), {A0, F->getArg(1)});
      break;
    case Entry::Realloc:
      Result = Call(C("realloc", PtrTy, {PtrTy, SizeTy}), {A0, F->getArg(1)});
      break;
    case Entry::Free:
      Call(C("free", Type::getVoidTy(Ctx), {PtrTy}), {A0});
      B.CreateRetVoid();
      continue;
    }
    B.CreateRet(Result);
  }
  return Defined;
}

/// The size class for a constant size, as the runtime would compute it, or
/// nothing for sizes the class entry does not take (0 and large objects).
std::optional<uint32_t> constantSizeClass(uint64_t Size, uint32_t Flags) {
  if (Size == 0 || Size > ESCALLOC_MAX_SMALL_SIZE)
    return std::nullopt;
  uint32_t Class = escalloc_size_class(Size, Flags);
  if (Class == 0 || Class >= ESCALLOC_NUM_CLASSES)
    return std::nullopt;
  return Class;
}

/// A call-site allockind: whether a mallocgc call's memory starts zeroed
/// depends on its NEEDZERO flag, so the declaration leaves it open.
Attribute allocKind(LLVMContext &Ctx, AllocFnKind Kind) {
  return Attribute::get(Ctx, Attribute::AllocKind, static_cast<uint64_t>(Kind));
}

uint32_t flagsFor(const ObjectFacts &Facts) {
  return (Facts.NoScan ? ESCALLOC_NOSCAN : 0) | (Facts.Align8 ? ESCALLOC_ALIGN8 : 0);
}

/// NOSCAN objects under ESCALLOC_TINY_SIZE may be packed into a tiny block
/// with only their size's natural alignment (abi.h): 8 for multiples of 8, 4
/// for multiples of 4, and so on.  C promises malloc(12) alignment for a
/// double, so NOSCAN stays only where every access is content with what the
/// known low zero bits of the size guarantee.
void keepTinyAlignment(ObjectFacts &Facts, const CallInst &CI, LibFunc LF) {
  if (!Facts.NoScan)
    return;
  const DataLayout &DL = CI.getDataLayout();
  KnownBits Size = computeKnownBits(CI.getArgOperand(0), DL);
  if (LF == LibFunc_calloc)
    Size = KnownBits::mul(Size, computeKnownBits(CI.getArgOperand(1), DL));
  if (Size.getMinValue().uge(ESCALLOC_TINY_SIZE))
    return; // never tiny
  uint64_t TinyAlign = uint64_t(1) << std::min(Size.countMinTrailingZeros(), 3u);
  if (Facts.MaxAlign <= TinyAlign)
    return;
  Facts.NoScan = false;
  Facts.NoScanBlocker = "as a tiny object it could be only " + std::to_string(TinyAlign) +
                        "-byte aligned, and " +
                        (Facts.MaxAlign == UnknownAlign
                             ? std::string("an access may need more")
                             : "an access needs " + std::to_string(Facts.MaxAlign));
}

/// Recognises the C allocation functions this pass lowers.
std::optional<LibFunc> recognise(const CallInst &CI, const TargetLibraryInfo &TLI) {
  const Function *Callee = CI.getCalledFunction();
  // A program that defines malloc itself keeps its own.
  if (!Callee || !Callee->isDeclaration() || CI.isMustTailCall())
    return std::nullopt;
  return getMallocFamilyLibFunc(CI, TLI);
}

class Lowering {
public:
  Lowering(Module &M, FunctionAnalysisManager &FAM) : M(M), FAM(FAM), Entries(M) {}
  bool run();
  /// The functions whose calls were rewritten.
  SmallSetVector<Function *, 16> Changed;

private:
  const TargetLibraryInfo &tli(Function &F) { return FAM.getResult<TargetLibraryAnalysis>(F); }
  bool lower(Site &S);
  CallInst *lowerMalloc(Site &S, uint32_t Flags, OptimizationRemarkAnalysis &R);
  CallInst *lowerCalloc(Site &S, uint32_t Flags, OptimizationRemarkAnalysis &R);
  CallInst *callEntry(Entry E, CallInst &Old, ArrayRef<Value *> Args);
  void noteRuntimeToLink(Function &F);
  void describeFacts(const Site &S, std::optional<uint64_t> ConstSize,
                     OptimizationRemarkAnalysis &R);

  Module &M;
  FunctionAnalysisManager &FAM;
  EntryPoints Entries;
};

bool Lowering::run() {
  if (Entries.definedHere()) {
    LLVM_DEBUG(dbgs() << "escalloc-lower: module defines the runtime; not lowered\n");
    return false;
  }
  if (definedAllocator(M))
    return false;
  // Infer every site's facts before rewriting any: the walks cross functions
  // and look at other allocations as containers.
  SmallVector<Site, 16> Sites;
  auto GetTLI = [&](Function &F) -> const TargetLibraryInfo & { return tli(F); };
  for (Function &F : M) {
    if (F.isDeclaration() || F.hasOptNone())
      continue;
    const TargetLibraryInfo &TLI = tli(F);
    for (Instruction &I : instructions(F))
      if (auto *CI = dyn_cast<CallInst>(&I))
        if (std::optional<LibFunc> LF = recognise(*CI, TLI)) {
          Site S{CI, *LF, {}};
          if (*LF != LibFunc_free && *LF != LibFunc_realloc)
            S.Facts = inferObjectFacts(*CI, GetTLI);
          Sites.push_back(std::move(S));
        }
  }
  for (Site &S : Sites) {
    Function *F = S.Call->getFunction();
    if (lower(S))
      Changed.insert(F);
  }
  if (!Changed.empty()) {
    referenceABISymbol(M);
    noteRuntimeToLink(*Changed.front());
  }
  return !Changed.empty();
}

/// The directory this plugin was loaded from, which holds the runtime too
/// (build tree and installed prefix alike); "<libdir>" when unknown.
static std::string pluginDir() {
  Dl_info Info;
  if (dladdr(reinterpret_cast<void *>(&pluginDir), &Info) && Info.dli_fname) {
    StringRef Path(Info.dli_fname);
    size_t Slash = Path.rfind('/');
    if (Slash != StringRef::npos)
      return Path.take_front(Slash).str();
  }
  return "<libdir>";
}

/// A module with lowered calls needs the runtime at the link.  escc adds it
/// (and says so in ESCALLOC_DRIVER); anyone else using the plugin directly is
/// told once per module, at -Rpass-analysis level, what to link.
void Lowering::noteRuntimeToLink(Function &F) {
  if (std::getenv("ESCALLOC_DRIVER"))
    return;
  OptimizationRemarkEmitter &ORE = FAM.getResult<OptimizationRemarkEmitterAnalysis>(F);
  ORE.emit([&] {
    std::string Dir = pluginDir();
    return OptimizationRemarkAnalysis(DEBUG_TYPE, "LinkRuntime", F.getSubprogram(),
                                      &F.getEntryBlock())
           << "allocations lowered to the escalloc runtime: link it with -Wl,--whole-archive "
           << ore::NV("Runtime", Dir + "/libescalloc_rt.a")
           << " -Wl,--no-whole-archive -lpthread (escc does this)";
  });
}

CallInst *Lowering::callEntry(Entry E, CallInst &Old, ArrayRef<Value *> Args) {
  Function *F = Entries.get(E);
  if (!F)
    return nullptr;
  IRBuilder<> B(&Old);
  SmallVector<Value *, 3> Cast;
  for (auto [Arg, Ty] : zip(Args, F->getFunctionType()->params()))
    Cast.push_back(Ty->isIntegerTy() ? B.CreateZExtOrTrunc(Arg, Ty) : Arg);
  CallInst *New = B.CreateCall(F, Cast);
  New->copyMetadata(Old);
  New->setTailCallKind(Old.getTailCallKind());
  if (!Old.getType()->isVoidTy()) {
    New->takeName(&Old);
    Old.replaceAllUsesWith(New);
  }
  Old.eraseFromParent();
  return New;
}

/// Appends ", noscan" or why not, and ", 8-byte aligned" or, where it would
/// have changed the size class, why not.
void Lowering::describeFacts(const Site &S, std::optional<uint64_t> ConstSize,
                             OptimizationRemarkAnalysis &R) {
  const ObjectFacts &Facts = S.Facts;
  if (Facts.NoScan)
    R << ", " << ore::NV("NoScan", "noscan");
  else
    R << ", may hold pointers (" << ore::NV("NoScanBlocker", Facts.NoScanBlocker) << ")";
  if (Facts.Align8) {
    R << ", " << ore::NV("Align8", "8-byte aligned");
  } else if (ConstSize) {
    std::optional<uint32_t> With = constantSizeClass(*ConstSize, ESCALLOC_ALIGN8);
    if (With && With != constantSizeClass(*ConstSize, 0))
      R << ", 16-byte aligned (" << ore::NV("Align8Blocker", Facts.Align8Blocker) << ")";
  }
}

CallInst *Lowering::lowerMalloc(Site &S, uint32_t Flags, OptimizationRemarkAnalysis &R) {
  CallInst &CI = *S.Call;
  Value *Size = CI.getArgOperand(0);
  std::optional<uint64_t> ConstSize;
  if (auto *C = dyn_cast<ConstantInt>(Size); C && C->getValue().getActiveBits() <= 64) {
    ConstSize = C->getZExtValue();
    R << "(" << ore::NV("Size", *ConstSize) << ")";
  }
  R << " lowered to mallocgc: ";
  CallInst *New;
  if (std::optional<uint32_t> Class = constantSizeClass(ConstSize.value_or(0), Flags)) {
    R << "size class " << ore::NV("SizeClass", *Class);
    if ((Flags & ESCALLOC_NOSCAN) && *ConstSize < ESCALLOC_TINY_SIZE) {
      // The tiny allocator's route depends on the flags: the class entry.
      New = callEntry(Entry::MallocgcClass, CI,
                      {Size, ConstantInt::get(Entries.flagsType(), *Class),
                       ConstantInt::get(Entries.flagsType(), Flags)});
    } else {
      // ALIGN8 is already in the class; NOSCAN goes into the span class.
      uint32_t SpanClass = *Class << 1 | (Flags & ESCALLOC_NOSCAN);
      New = callEntry(Entry::MallocgcSpc, CI,
                      {Size, ConstantInt::get(Entries.flagsType(), SpanClass)});
      ++NumLoweredSpanClass;
    }
    ++NumLoweredClass;
  } else {
    R << (!ConstSize ? "variable size" : *ConstSize ? "large object" : "zero size");
    New = callEntry(Entry::Mallocgc, CI, {Size, ConstantInt::get(Entries.flagsType(), Flags)});
    ++NumLoweredVariable;
  }
  describeFacts(S, ConstSize, R);
  return New;
}

CallInst *Lowering::lowerCalloc(Site &S, uint32_t Flags, OptimizationRemarkAnalysis &R) {
  CallInst &CI = *S.Call;
  Flags |= ESCALLOC_NEEDZERO;
  Value *Count = CI.getArgOperand(0), *Size = CI.getArgOperand(1);
  auto *CC = dyn_cast<ConstantInt>(Count);
  auto *CS = dyn_cast<ConstantInt>(Size);
  std::optional<uint64_t> ConstSize;
  if (CC && CS) {
    R << "(" << ore::NV("Count", CC->getValue().getLimitedValue()) << ", "
      << ore::NV("Size", CS->getValue().getLimitedValue()) << ")";
    bool Overflow = false;
    APInt Bytes = CC->getValue().umul_ov(CS->getValue(), Overflow);
    if (!Overflow && Bytes.getActiveBits() <= 64)
      ConstSize = Bytes.getZExtValue();
  }
  R << " lowered to mallocgc: ";
  CallInst *New;
  if (std::optional<uint32_t> Class = constantSizeClass(ConstSize.value_or(0), Flags)) {
    // The product is known not to overflow: the class entry needs no check.
    R << "size class " << ore::NV("SizeClass", *Class);
    New = callEntry(Entry::MallocgcClass, CI,
                    {ConstantInt::get(Entries.sizeType(), *ConstSize),
                     ConstantInt::get(Entries.flagsType(), *Class),
                     ConstantInt::get(Entries.flagsType(), Flags)});
    ++NumLoweredClass;
  } else {
    if (CC && CS && !ConstSize)
      R << "count * size overflows (NULL at run time)";
    else
      R << (!ConstSize ? "variable size" : *ConstSize ? "large object" : "zero size");
    New = callEntry(Entry::Calloc, CI, {Count, Size, ConstantInt::get(Entries.flagsType(), Flags)});
    ++NumLoweredVariable;
  }
  R << ", zeroed";
  describeFacts(S, ConstSize, R);
  return New;
}

bool Lowering::lower(Site &S) {
  CallInst &CI = *S.Call;
  LLVMContext &Ctx = M.getContext();
  if (S.Func == LibFunc_free || S.Func == LibFunc_realloc) {
    SmallVector<Value *, 2> Args(CI.args());
    ++NumLoweredFree;
    return callEntry(S.Func == LibFunc_free ? Entry::Free : Entry::Realloc, CI, Args);
  }

  if (S.Func != LibFunc_aligned_alloc)
    keepTinyAlignment(S.Facts, CI, S.Func);
  uint32_t Flags = flagsFor(S.Facts);
  OptimizationRemarkEmitter &ORE =
      FAM.getResult<OptimizationRemarkEmitterAnalysis>(*CI.getFunction());
  OptimizationRemarkAnalysis R(DEBUG_TYPE, "LoweredToMallocgc", &CI);
  R << ore::NV("Callee", cName(*CI.getCalledFunction()));
  DebugLoc At = userLoc(CI); // CI is gone once lowered
  const Function *Fn = CI.getFunction();
  CallInst *New = nullptr;
  switch (S.Func) {
  case LibFunc_malloc:
    New = lowerMalloc(S, Flags, R);
    if (New)
      New->addFnAttr(allocKind(Ctx, AllocFnKind::Alloc | AllocFnKind::Uninitialized));
    break;
  case LibFunc_calloc:
    New = lowerCalloc(S, Flags, R);
    if (New)
      New->addFnAttr(allocKind(Ctx, AllocFnKind::Alloc | AllocFnKind::Zeroed));
    break;
  case LibFunc_aligned_alloc:
    // The alignment is explicit: ALIGN8 would mean nothing.
    Flags &= ~ESCALLOC_ALIGN8;
    S.Facts.Align8 = false;
    S.Facts.Align8Blocker.clear();
    R << " lowered to mallocgc";
    New = callEntry(Entry::AlignedAlloc, CI,
                    {CI.getArgOperand(0), CI.getArgOperand(1),
                     ConstantInt::get(Entries.flagsType(), Flags)});
    describeFacts(S, std::nullopt, R);
    ++NumLoweredVariable;
    break;
  default:
    llvm_unreachable("not an allocation this pass lowers");
  }
  if (!New)
    return false;
  NumNoScan += S.Facts.NoScan;
  NumAlign8 += S.Facts.Align8;
  appendInlined(R, At, *Fn); // as the decision remarks are tagged
  // The pass's own helpers (HeapToStack's escalloc.grow.move) have no
  // source line: their allocations are the program's reallocs, reported there.
  if (!Fn->getName().starts_with("escalloc."))
    ORE.emit(R);
  return true;
}

} // namespace

PreservedAnalyses EscallocFallbackPass::run(Module &M, ModuleAnalysisManager &) {
  if (!FallbacksEnabled || EntryPoints(M).definedHere() || !defineFallbacks(M))
    return PreservedAnalyses::all();
  // Only new function bodies: the existing functions' analyses hold.
  PreservedAnalyses PA;
  PA.preserve<FunctionAnalysisManagerModuleProxy>();
  PA.preserveSet<AllAnalysesOn<Function>>();
  return PA;
}

PreservedAnalyses EscallocLowerPass::run(Module &M, ModuleAnalysisManager &AM) {
  if (!LowerEnabled)
    return PreservedAnalyses::all();
  auto &FAM = AM.getResult<FunctionAnalysisManagerModuleProxy>(M).getManager();
  Lowering L(M, FAM);
  if (!L.run())
    return PreservedAnalyses::all();
  // Calls are replaced one for one: the CFG stays, and functions without an
  // allocation keep all their analyses (dropping them module-wide would make
  // the rest of the pipeline recompute them).
  PreservedAnalyses Local;
  Local.preserveSet<CFGAnalyses>();
  for (Function *F : L.Changed)
    FAM.invalidate(*F, Local);
  PreservedAnalyses PA;
  PA.preserve<FunctionAnalysisManagerModuleProxy>();
  PA.preserveSet<AllAnalysesOn<Function>>();
  return PA;
}

} // namespace escalloc
