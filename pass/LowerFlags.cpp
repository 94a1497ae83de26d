//===- LowerFlags.cpp - noscan and align8 inference for lowered allocations -===//
//
// Proves, for one allocation site, the two flags the runtime may rely on:
//
//   NOSCAN  no pointer value can ever be stored into the object.  A collector
//           may skip such objects, so a wrong NOSCAN is a use-after-free in
//           waiting; today it also selects noscan spans and the tiny
//           allocator (Go's rule).
//   ALIGN8  no access to the object needs more than 8-byte alignment, so the
//           runtime may serve it from Go's 8-aligned 24-byte class.
//
// The walk.  Work items are (value, role) pairs.  An Object value may point
// into the allocation; a Container value may point into memory that holds a
// pointer to it.  Both facts start true and every use either is understood or
// makes one or both false ("escape" makes both false: code we cannot see may
// store anything and assume any alignment).  Pointers are followed through
// GEPs, casts, phis and selects, into callees with an exact definition, and
// through realloc.  When the object's address is stored, the walk follows the
// memory it is stored into, provided that memory is a fresh object (an alloca
// or another allocation) whose own address never leaves the walk: then every
// load of a pointer from it is a possible alias of the object, and is walked.
// That is what lets `points[i] = p` keep p's facts (examples/points.c).  The
// walk also records the largest alignment any access needs, for the tiny
// allocator check in Lowering.cpp.
//
// Pointer-free data.  A stored value is data when its type holds no pointer
// and no pointer bits can flow into it: ptrtoint anywhere in its inputs makes
// it unsure (even truncated: two halves make a pointer again), and so does a
// load, of any width, unless its TBAA tag names a scalar C type that is
// neither a pointer nor char, or it reads constant pointer-free memory.
// (InstCombine turns small memcpys of pointers into i64 loads and stores, a
// byte loop copies a pointer through char, and -fno-strict-aliasing code has
// no tags at all.)  Integer call results and parameters of interface
// functions are data: their C types say so, as Go treats uintptr; an
// internal function's parameter is as pointer-free as what its callers pass.
//===----------------------------------------------------------------------===//
#include "LowerFlags.h"
#include "LibCalls.h"
#include "Remarks.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Analysis/MemoryBuiltins.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "escalloc"

using namespace llvm;

static cl::opt<unsigned> MaxUses(
    "escalloc-lower-max-uses", cl::init(4096), cl::Hidden,
    cl::desc("Uses the noscan/align8 inference follows for one allocation "
             "before it gives up and assumes the worst (default: 4096)"));

namespace escalloc {
namespace {

/// The strongest alignment ALIGN8 objects still get.
constexpr uint64_t Align8Max = 8;

enum class Role : uint8_t { Object, Container };

bool typeHasPointer(Type *Ty) {
  if (Ty->isPtrOrPtrVectorTy())
    return true;
  if (auto *ST = dyn_cast<StructType>(Ty))
    return any_of(ST->elements(), typeHasPointer);
  if (auto *AT = dyn_cast<ArrayType>(Ty))
    return typeHasPointer(AT->getElementType());
  return false;
}

/// A constant holds no address: null, undef and plain numbers, but not a
/// global, nor an expression computed from one (ptrtoint @g).
bool constantIsPointerFree(const Constant *C) {
  if (C->isNullValue() || isa<UndefValue>(C))
    return true;
  if (isa<GlobalValue>(C) || isa<BlockAddress>(C) || isa<DSOLocalEquivalent>(C) ||
      isa<NoCFIValue>(C) || C->getType()->isPtrOrPtrVectorTy())
    return false;
  return all_of(C->operands(),
                [](const Use &Op) { return constantIsPointerFree(cast<Constant>(Op)); });
}

/// Whether \p I's TBAA tag names a scalar C type that is not a pointer: under
/// strict aliasing such an access cannot read a pointer.
bool hasNonPointerScalarTBAA(const Instruction &I) {
  const MDNode *Tag = I.getMetadata(LLVMContext::MD_tbaa);
  if (!Tag || Tag->getNumOperands() < 3)
    return false;
  const auto *Access = dyn_cast<MDNode>(Tag->getOperand(1));
  if (!Access || Access->getNumOperands() < 1)
    return false;
  const auto *Name = dyn_cast<MDString>(Access->getOperand(0));
  if (!Name)
    return false;
  // Not "omnipotent char": char accesses may copy any object's bytes.
  return StringSwitch<bool>(Name->getString())
      .Cases("int", "long", "long long", "short", "_Bool", true)
      .Cases("float", "double", "long double", "__int128", true)
      .Default(false);
}

/// Library functions that write only bytes of text or file data through
/// argument \p ArgNo (their destination) and keep no copy of it.
bool writesOnlyBytes(LibFunc LF, unsigned ArgNo) {
  switch (LF) {
  case LibFunc_fgets:
  case LibFunc_fread:
  case LibFunc_sprintf:
  case LibFunc_snprintf:
  case LibFunc_strcpy:
  case LibFunc_strncpy:
  case LibFunc_stpcpy:
  case LibFunc_strcat:
  case LibFunc_strncat:
    return ArgNo == 0;
  case LibFunc_read:
    return ArgNo == 1;
  default:
    return false;
  }
}

} // namespace

std::optional<LibFunc> getMallocFamilyLibFunc(const CallBase &CB, const TargetLibraryInfo &TLI) {
  LibFunc LF;
  if (!TLI.getLibFunc(CB, LF) || !TLI.has(LF))
    return std::nullopt;
  switch (LF) {
  case LibFunc_malloc:
  case LibFunc_calloc:
  case LibFunc_aligned_alloc:
  case LibFunc_realloc:
  case LibFunc_free:
    return LF;
  default:
    return std::nullopt;
  }
}

namespace {

class ObjectWalker {
public:
  ObjectWalker(const CallBase &Alloc, GetTLIFn GetTLI)
      : Alloc(Alloc), GetTLI(GetTLI) {}

  ObjectFacts run();

private:
  void push(const Value *V, Role R);
  void visitObjectUse(const Use &U);
  void visitObjectCall(const CallBase &CB, const Use &U);
  void visitContainerUse(const Use &U);
  void visitContainerCall(const CallBase &CB, const Use &U);
  /// The object's address (or a container's) is copied into the memory \p Dest
  /// points to.
  void copiedInto(const Value *Dest, const Instruction &At);
  void checkAlign(MaybeAlign A, const Instruction &At);
  void checkStored(const Value *V, const Instruction &At);
  bool isPointerFree(const Value *V, unsigned Depth);
  bool isPointerFreeMemory(const Value *Src);
  bool isPointerFreeArgument(const Argument &A, unsigned Depth);
  bool isFreshObject(const Value *Root);
  bool isReallocOf(const CallBase &CB, const Use &U);
  bool isFreeOf(const CallBase &CB, const Use &U);
  const TargetLibraryInfo &tliFor(const Instruction &I) {
    return GetTLI(*const_cast<Function *>(I.getFunction()));
  }

  void noScanFails(const Twine &Why, const Instruction &At);
  void align8Fails(const Twine &Why, const Instruction &At);
  void escape(const Twine &Why, const Instruction &At) {
    noScanFails(Why, At);
    align8Fails(Why, At);
  }
  std::string where(const Instruction &At) const;
  bool done() const { return !Facts.NoScan && !Facts.Align8; }

  const CallBase &Alloc;
  GetTLIFn GetTLI;
  SmallVector<std::pair<const Value *, Role>, 32> Work;
  SmallPtrSet<const Value *, 32> SeenObject, SeenContainer;
  /// Values assumed pointer-free while one isPointerFree query is in progress
  /// (phi cycles); cleared per query so no assumption outlives its proof.
  SmallPtrSet<const Value *, 16> Assumed;
  ObjectFacts Facts;
};

ObjectFacts ObjectWalker::run() {
  Facts.NoScan = Facts.Align8 = true;
  // Code before us may have relied on an alignment promised on the call.
  if (MaybeAlign A = Alloc.getRetAlign(); A && A->value() > Align8Max)
    align8Fails("the call promises more than 8-byte alignment", Alloc);
  push(&Alloc, Role::Object);
  unsigned Steps = 0;
  while (!Work.empty() && !done()) {
    auto [V, R] = Work.pop_back_val();
    for (const Use &U : V->uses()) {
      if (++Steps > MaxUses) {
        escape("too many uses to follow", Alloc);
        break;
      }
      if (R == Role::Object)
        visitObjectUse(U);
      else
        visitContainerUse(U);
      if (done())
        break;
    }
  }
  return Facts;
}

void ObjectWalker::push(const Value *V, Role R) {
  auto &Seen = R == Role::Object ? SeenObject : SeenContainer;
  if (Seen.insert(V).second)
    Work.push_back({V, R});
}

std::string ObjectWalker::where(const Instruction &At) const {
  std::string S;
  if (At.getFunction() != Alloc.getFunction())
    S += " in " + cName(*At.getFunction());
  if (const DebugLoc &DLoc = userLoc(At)) // the user's line, not a fortify header's
    S += " at line " + std::to_string(DLoc.getLine());
  return S;
}

void ObjectWalker::noScanFails(const Twine &Why, const Instruction &At) {
  if (!Facts.NoScan)
    return;
  Facts.NoScan = false;
  Facts.NoScanBlocker = Why.str() + where(At);
  LLVM_DEBUG(dbgs() << "escalloc-lower: " << Alloc << ": not noscan: " << Facts.NoScanBlocker
                    << "\n");
}

void ObjectWalker::align8Fails(const Twine &Why, const Instruction &At) {
  Facts.MaxAlign = UnknownAlign;
  if (!Facts.Align8)
    return;
  Facts.Align8 = false;
  Facts.Align8Blocker = Why.str() + where(At);
  LLVM_DEBUG(dbgs() << "escalloc-lower: " << Alloc << ": not align8: " << Facts.Align8Blocker
                    << "\n");
}

void ObjectWalker::checkAlign(MaybeAlign A, const Instruction &At) {
  // An access aligned to A <= 8 at any offset from the object stays aligned
  // when the object is 8-aligned: A divided the offset when the object was
  // 16-aligned.
  if (!A)
    return;
  if (A->value() > Align8Max)
    align8Fails("an access needs " + Twine(A->value()) + "-byte alignment", At);
  Facts.MaxAlign = std::max(Facts.MaxAlign, A->value());
}

void ObjectWalker::checkStored(const Value *V, const Instruction &At) {
  Assumed.clear();
  if (isPointerFree(V, 0))
    return;
  noScanFails(typeHasPointer(V->getType()) ? "a pointer is stored into it"
                                           : "a value that may hold a pointer is stored into it",
              At);
}

bool ObjectWalker::isPointerFree(const Value *V, unsigned Depth) {
  if (const auto *C = dyn_cast<Constant>(V))
    return constantIsPointerFree(C);
  if (typeHasPointer(V->getType()))
    return false;
  if (const auto *A = dyn_cast<Argument>(V))
    return isPointerFreeArgument(*A, Depth);
  const auto *I = dyn_cast<Instruction>(V);
  if (!I || Depth > 16)
    return false;
  if (!Assumed.insert(I).second)
    return true; // a cycle adds no inputs
  if (isa<PtrToIntInst>(I))
    return false;
  if (const auto *LI = dyn_cast<LoadInst>(I))
    return hasNonPointerScalarTBAA(*LI) || isPointerFreeMemory(LI->getPointerOperand());
  if (isa<CallBase>(I))
    return true;
  if (isa<CastInst, BinaryOperator, UnaryOperator, CmpInst, SelectInst, PHINode, FreezeInst,
          ExtractElementInst, InsertElementInst, ShuffleVectorInst, ExtractValueInst,
          InsertValueInst>(I))
    return all_of(I->operands(),
                  [&](const Use &Op) { return isPointerFree(Op.get(), Depth + 1); });
  return false;
}

bool ObjectWalker::isPointerFreeArgument(const Argument &A, unsigned Depth) {
  // An interface function keeps its C signature: an integer parameter is
  // data.  An internal one may have had a pointer parameter promoted to the
  // value loaded through it (ArgumentPromotion), so its callers tell.
  const Function &F = *A.getParent();
  if (!F.hasLocalLinkage() || F.hasAddressTaken())
    return true;
  if (Depth > 16 || !Assumed.insert(&A).second)
    return Depth <= 16;
  return all_of(F.users(), [&](const User *U) {
    const auto *CB = dyn_cast<CallBase>(U);
    return CB && CB->getCalledFunction() == &F && A.getArgNo() < CB->arg_size() &&
           isPointerFree(CB->getArgOperand(A.getArgNo()), Depth + 1);
  });
}

bool ObjectWalker::isPointerFreeMemory(const Value *Src) {
  const Value *Root = getUnderlyingObject(Src);
  if (Root == &Alloc)
    return true; // copying the object into itself adds nothing new
  if (const auto *GV = dyn_cast<GlobalVariable>(Root))
    return GV->isConstant() && GV->hasDefinitiveInitializer() &&
           constantIsPointerFree(GV->getInitializer());
  return false;
}

bool ObjectWalker::isFreshObject(const Value *Root) {
  if (isa<AllocaInst>(Root))
    return true;
  const auto *CB = dyn_cast<CallBase>(Root);
  if (!CB)
    return false;
  std::optional<LibFunc> LF = getMallocFamilyLibFunc(*CB, tliFor(*CB));
  return (LF && *LF != LibFunc_free) || isAllocationFn(CB, &tliFor(*CB));
}

bool ObjectWalker::isFreeOf(const CallBase &CB, const Use &U) {
  const TargetLibraryInfo &TLI = tliFor(CB);
  if (getMallocFamilyLibFunc(CB, TLI) == LibFunc_free)
    return CB.isArgOperand(&U) && CB.getArgOperandNo(&U) == 0;
  return getFreedOperand(&CB, &TLI) == U.get();
}

bool ObjectWalker::isReallocOf(const CallBase &CB, const Use &U) {
  if (!CB.isArgOperand(&U))
    return false;
  unsigned ArgNo = CB.getArgOperandNo(&U);
  const Function *F = CB.getCalledFunction();
  if (F && isReallocLikeFn(F))
    return CB.paramHasAttr(ArgNo, Attribute::AllocatedPointer);
  return getMallocFamilyLibFunc(CB, tliFor(CB)) == LibFunc_realloc && ArgNo == 0;
}

void ObjectWalker::copiedInto(const Value *Dest, const Instruction &At) {
  // Through phis and selects too: a duplicated allocation merged by a phi is
  // followed as two containers.  A root the lookup could not resolve is not
  // fresh.
  SmallVector<const Value *, 4> Roots;
  getUnderlyingObjects(Dest, Roots);
  if (!all_of(Roots, [&](const Value *Root) { return isFreshObject(Root); }))
    return escape("its address is stored into memory the pass cannot follow", At);
  for (const Value *Root : Roots)
    push(Root, Role::Container);
}

void ObjectWalker::visitObjectUse(const Use &U) {
  const auto *I = dyn_cast<Instruction>(U.getUser());
  if (!I)
    return escape("used by a constant", Alloc);
  if (isa<GetElementPtrInst, BitCastInst, AddrSpaceCastInst, PHINode, SelectInst, FreezeInst>(I))
    return push(I, Role::Object);
  if (const auto *LI = dyn_cast<LoadInst>(I))
    return checkAlign(LI->getAlign(), *LI);
  if (const auto *SI = dyn_cast<StoreInst>(I)) {
    if (U.getOperandNo() != StoreInst::getPointerOperandIndex())
      return copiedInto(SI->getPointerOperand(), *SI);
    checkAlign(SI->getAlign(), *SI);
    return checkStored(SI->getValueOperand(), *SI);
  }
  if (const auto *RMW = dyn_cast<AtomicRMWInst>(I)) {
    if (U.getOperandNo() != AtomicRMWInst::getPointerOperandIndex())
      return escape("its address is used by an atomic operation", *I);
    checkAlign(RMW->getAlign(), *RMW);
    return checkStored(RMW->getValOperand(), *RMW);
  }
  if (const auto *CX = dyn_cast<AtomicCmpXchgInst>(I)) {
    if (U.getOperandNo() != AtomicCmpXchgInst::getPointerOperandIndex())
      return escape("its address is used by an atomic operation", *I);
    checkAlign(CX->getAlign(), *CX);
    return checkStored(CX->getNewValOperand(), *CX);
  }
  if (isa<ICmpInst>(I))
    return;
  if (const auto *CB = dyn_cast<CallBase>(I))
    return visitObjectCall(*CB, U);
  if (isa<ReturnInst>(I))
    return escape("it is returned from " + cName(*I->getFunction()), *I);
  escape(Twine("its address is used by ") + I->getOpcodeName(), *I);
}

/// Intrinsics that take an object's address only to mark or measure it:
/// they neither read its contents nor publish it.
static bool isMarker(const IntrinsicInst &II) {
  switch (II.getIntrinsicID()) {
  case Intrinsic::lifetime_start:
  case Intrinsic::lifetime_end:
  case Intrinsic::invariant_start:
  case Intrinsic::invariant_end:
  case Intrinsic::objectsize:
    return true;
  default:
    return false;
  }
}

void ObjectWalker::visitObjectCall(const CallBase &CB, const Use &U) {
  if (CB.isBundleOperand(&U)) {
    if (isa<AssumeInst>(CB))
      return align8Fails("an alignment may be assumed", CB);
    return escape("it is passed in an operand bundle", CB);
  }
  if (CB.isCallee(&U))
    return escape("it is called", CB);
  if (const auto *II = dyn_cast<IntrinsicInst>(&CB)) {
    if (isMarker(*II))
      return;
    if (const auto *MS = dyn_cast<MemSetInst>(II))
      return checkAlign(MS->getDestAlign(), *MS); // stores bytes
    if (const auto *MT = dyn_cast<MemTransferInst>(II)) {
      if (U.getOperandNo() == 1)
        return checkAlign(MT->getSourceAlign(), *MT);
      checkAlign(MT->getDestAlign(), *MT);
      if (!isPointerFreeMemory(MT->getSource()))
        noScanFails("memory that may hold pointers is copied into it", *MT);
      return;
    }
    return escape("it is passed to " + II->getCalledFunction()->getName(), CB);
  }

  if (isFreeOf(CB, U))
    return;
  if (isReallocOf(CB, U))
    return push(&CB, Role::Object); // the new object starts as a copy of this one
  if (!CB.isArgOperand(&U))
    return escape("it is used by a call", CB);

  unsigned ArgNo = CB.getArgOperandNo(&U);
  const Function *Callee = CB.getCalledFunction();
  std::string Name = Callee ? cName(*Callee) : "an indirect call";
  MaybeAlign ParamAlign = CB.getParamAlign(ArgNo);
  if (Callee && ArgNo < Callee->arg_size())
    if (MaybeAlign A = Callee->getParamAlign(ArgNo); A && (!ParamAlign || *A > *ParamAlign))
      ParamAlign = A;
  if (ParamAlign && ParamAlign->value() > Align8Max)
    align8Fails(Name + " is told it is " + Twine(ParamAlign->value()) + "-byte aligned", CB);
  else
    checkAlign(ParamAlign, CB);
  if (CB.isByValArgument(ArgNo))
    return; // the callee gets a copy
  if (Callee && !Callee->isDeclaration() && Callee->hasExactDefinition() &&
      ArgNo < Callee->arg_size() && Callee->getFunctionType() == CB.getFunctionType())
    return push(Callee->getArg(ArgNo), Role::Object);

  const TargetLibraryInfo &TLI = tliFor(CB);
  LibFunc LF;
  bool IsLibFunc = Callee && TLI.getLibFunc(CB, LF) && TLI.has(LF);
  if (IsLibFunc && writesOnlyBytes(LF, ArgNo)) {
    if (CB.getType()->isPointerTy())
      push(&CB, Role::Object); // strcpy and friends return their destination
    return;
  }
  if (CB.doesNotCapture(ArgNo) && (CB.onlyReadsMemory(ArgNo) || CB.onlyReadsMemory())) {
    // A C library function accesses it through char/void pointers; any other
    // callee may have been compiled for a 16-byte-aligned type.
    if (!IsLibFunc)
      align8Fails("it is passed to " + Name + ", which may assume 16-byte alignment", CB);
    return;
  }
  escape("it is passed to " + Name, CB);
}

void ObjectWalker::visitContainerUse(const Use &U) {
  const auto *I = dyn_cast<Instruction>(U.getUser());
  if (!I)
    return escape("memory holding its address is used by a constant", Alloc);
  if (isa<GetElementPtrInst, BitCastInst, AddrSpaceCastInst, PHINode, SelectInst, FreezeInst>(I))
    return push(I, Role::Container);
  if (const auto *LI = dyn_cast<LoadInst>(I)) {
    Type *Ty = LI->getType();
    if (Ty->isPointerTy())
      return push(LI, Role::Object); // may be the object
    if (typeHasPointer(Ty))
      return escape("its address is reloaded inside an aggregate", *LI);
    // Read as integers (or bytes), its address could be put together again.
    if (!hasNonPointerScalarTBAA(*LI))
      return escape("its address may be reloaded as an integer", *LI);
    return;
  }
  if (const auto *SI = dyn_cast<StoreInst>(I)) {
    if (U.getOperandNo() == StoreInst::getPointerOperandIndex())
      return; // overwrites what the container holds
    return escape("the memory holding its address is itself stored away", *SI);
  }
  if (isa<ICmpInst>(I))
    return;
  if (const auto *CB = dyn_cast<CallBase>(I))
    return visitContainerCall(*CB, U);
  escape("the memory holding its address is used by " + Twine(I->getOpcodeName()), *I);
}

void ObjectWalker::visitContainerCall(const CallBase &CB, const Use &U) {
  if (CB.isArgOperand(&U)) {
    if (const auto *II = dyn_cast<IntrinsicInst>(&CB)) {
      if (isMarker(*II))
        return;
      if (isa<MemSetInst>(II))
        return;
      if (const auto *MT = dyn_cast<MemTransferInst>(II)) {
        if (U.getOperandNo() == 0)
          return; // overwrites what the container holds
        return copiedInto(MT->getDest(), *MT);
      }
    } else {
      if (isFreeOf(CB, U))
        return;
      if (isReallocOf(CB, U))
        return push(&CB, Role::Container);
    }
  }
  const Function *Callee = CB.getCalledFunction();
  escape("the memory holding its address is passed to " +
             (Callee ? cName(*Callee) : std::string("an indirect call")),
         CB);
}

} // namespace

ObjectFacts inferObjectFacts(const CallBase &Alloc, GetTLIFn GetTLI) {
  return ObjectWalker(Alloc, GetTLI).run();
}

} // namespace escalloc
