//===- FrameMarker.cpp - Whether the module's code keeps frame pointers ---===//
//
// See FrameMarker.h.
//
//===----------------------------------------------------------------------===//
#include "FrameMarker.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "escalloc"

using namespace llvm;

namespace escalloc {

namespace {

constexpr const char *WithName = "escalloc_frame_pointers";
constexpr const char *WithoutName = "escalloc_no_frame_pointers";

/// F's code keeps a frame pointer wherever it calls (a leaf calls nothing,
/// so it is never on a stack the allocator unwinds).
bool keepsFramePointer(const Function &F) {
  StringRef FP = F.getFnAttribute("frame-pointer").getValueAsString();
  return FP == "all" || FP == "non-leaf";
}

} // namespace

bool markFramePointers(Module &M) {
  if (M.getNamedGlobal(WithName) || M.getNamedGlobal(WithoutName))
    return false;
  bool Any = false, All = true;
  for (const Function &F : M) {
    if (F.isDeclaration() || F.hasAvailableExternallyLinkage())
      continue;
    Any = true;
    if (!keepsFramePointer(F)) {
      LLVM_DEBUG(dbgs() << "escalloc: " << F.getName() << " has no frame pointer\n");
      All = false;
      break;
    }
  }
  if (!Any)
    return false;
  Type *I8 = Type::getInt8Ty(M.getContext());
  // Weak, not linkonce: nothing references it in the module, and it must
  // reach the object file.
  new GlobalVariable(M, I8, /*isConstant=*/true, GlobalValue::WeakAnyLinkage,
                     ConstantInt::get(I8, 1), All ? WithName : WithoutName);
  return true;
}

} // namespace escalloc
