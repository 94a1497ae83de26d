//===- AllocHooks.cpp - Allocation through function pointers --------------===//
//
// Recognition of calls through allocation hooks (see AllocHooks.h); the
// analysis (EscapeAnalysis.cpp) and the rewrite (HeapToStack.cpp) use it.
//
//===----------------------------------------------------------------------===//
#include "AllocHooks.h"

#include "llvm/Analysis/ConstantFolding.h"
#include "llvm/BinaryFormat/Dwarf.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"

using namespace llvm;

namespace escalloc {

static cl::opt<bool> Hooks(
    "escalloc-hooks", cl::init(true),
    cl::desc("Promote allocations made through a function pointer loaded "
             "from a global initialised to malloc (cJSON's global_hooks), "
             "speculatively: the stack when the pointer is malloc at run "
             "time (default true)"));

bool hooksEnabled() { return Hooks; }

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

std::string hookName(const AllocHook &H) {
  std::string Name = H.Global->getName().str();
  SmallVector<DIGlobalVariableExpression *, 1> GVs;
  H.Global->getDebugInfo(GVs);
  for (DIGlobalVariableExpression *GVE : GVs) {
    if (DIGlobalVariable *V = GVE->getVariable()) {
      if (!V->getName().empty())
        Name = V->getName().str();
      // GlobalOpt splits a struct global into one per member (a fragment
      // of the variable each): the offset is then the fragment's.
      uint64_t Off = H.Offset;
      if (DIExpression *E = GVE->getExpression())
        if (auto Frag = E->getFragmentInfo())
          Off += Frag->OffsetInBits / 8;
      std::string M = memberAt(V->getType(), Off);
      if (!M.empty())
        return Name + "." + M;
    }
  }
  return H.Offset ? Name + "+" + std::to_string(H.Offset) : Name;
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
  return AllocHook{G, Off.getZExtValue(), F, LF};
}

std::optional<AllocHook> allocHook(const CallBase &CB,
                                   const TargetLibraryInfo &TLI) {
  std::optional<AllocHook> H = hookOf(CB, TLI);
  // The call passes what malloc takes and expects what it returns.
  if (!H || H->Func != LibFunc_malloc ||
      CB.getFunctionType() != H->Default->getFunctionType())
    return std::nullopt;
  return H;
}

std::optional<AllocHook> freeHook(const CallBase &CB,
                                  const TargetLibraryInfo &TLI) {
  std::optional<AllocHook> H = hookOf(CB, TLI);
  if (!H || H->Func != LibFunc_free ||
      CB.getFunctionType() != H->Default->getFunctionType())
    return std::nullopt;
  return H;
}

} // namespace escalloc
