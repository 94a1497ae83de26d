//===- EscapeNames.cpp - names in escalloc reasons ------------------------===//
//
// What remarks and print<escalloc> call things: the C names of parameters
// (from debug info or the names the front end left), the phrases for
// parameter summaries, allocation labels ("malloc(48)") and the labels of
// the analysis's abstract objects.  No decision is made here.
//
//===----------------------------------------------------------------------===//
#include "EscapeAnalysis.h"
#include "FunctionAnalyzer.h"
#include "Remarks.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

namespace escalloc {

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
    Flags &= ~(ParamContentToResult | ParamContent2ToResult |
               ParamDataToResult);
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
  else if ((Flags & ParamContent2Leaks) && !(Flags & ParamLeaks))
    Parts.push_back("leaking param content: " + P + " level=2");
  else if ((Flags & ParamContentToResult) && !(Flags & ParamLeaks))
    Parts.push_back("leaking param content: " + P + " to result");
  else if ((Flags & ParamContent2ToResult) && !(Flags & ParamLeaks))
    Parts.push_back("leaking param content: " + P + " level=2 to result");
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

std::string FunctionAnalyzer::objLabel(unsigned Id) const {
  const Obj &O = Objs[Id];
  switch (O.Kind) {
  case ObjKind::External:
    return "external memory";
  case ObjKind::Pointee:
    return "param " + argName(O.ArgNo);
  case ObjKind::Content:
    return (O.Level > 1 ? "deeper content of param " : "content of param ") +
           argName(O.ArgNo);
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

} // namespace escalloc
