//===- LibCalls.cpp - C library calls as the user wrote them --------------===//
//
// See LibCalls.h.  The attributes of an alias's unchecked function come from
// a declaration of it in a private module (own context, the caller's data
// layout and triple) that InferFunctionAttrs' own routine,
// inferNonMandatoryLibFuncAttrs, annotates; the result is kept as plain data
// in a process-wide cache (ThinLTO backends run in threads, hence the lock).
//
//===----------------------------------------------------------------------===//
#include "LibCalls.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/bit.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Instruction.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/BuildLibCalls.h"
#include <memory>
#include <vector>
#include <mutex>

using namespace llvm;

namespace escalloc {

namespace {
/// glibc's checked functions (and scanf's C99 names): the function each
/// stands for and which of its arguments only serve the check.
struct Alias {
  const char *Name;
  const char *Unchecked;
  uint16_t CheckArgs; ///< bit I: argument I only serves the check
};

constexpr uint16_t at() { return 0; }
template <typename... Rest> constexpr uint16_t at(unsigned I, Rest... R) {
  return uint16_t(1u << I) | at(R...);
}

const Alias Aliases[] = {
    // string.h / strings.h: the destination's size comes last.
    {"__memcpy_chk", "memcpy", at(3)},
    {"__memmove_chk", "memmove", at(3)},
    {"__mempcpy_chk", "mempcpy", at(3)},
    {"__memset_chk", "memset", at(3)},
    {"__memccpy_chk", "memccpy", at(4)},
    {"__strcpy_chk", "strcpy", at(2)},
    {"__stpcpy_chk", "stpcpy", at(2)},
    {"__strncpy_chk", "strncpy", at(3)},
    {"__stpncpy_chk", "stpncpy", at(3)},
    {"__strcat_chk", "strcat", at(2)},
    {"__strncat_chk", "strncat", at(3)},
    {"__strlcpy_chk", "strlcpy", at(3)},
    {"__strlcat_chk", "strlcat", at(3)},
    // stdio.h: a flag (and the buffer's size) before the format.
    {"__printf_chk", "printf", at(0)},
    {"__fprintf_chk", "fprintf", at(1)},
    {"__dprintf_chk", "dprintf", at(1)},
    {"__sprintf_chk", "sprintf", at(1, 2)},
    {"__snprintf_chk", "snprintf", at(2, 3)},
    {"__vprintf_chk", "vprintf", at(0)},
    {"__vfprintf_chk", "vfprintf", at(1)},
    {"__vdprintf_chk", "vdprintf", at(1)},
    {"__vsprintf_chk", "vsprintf", at(1, 2)},
    {"__vsnprintf_chk", "vsnprintf", at(2, 3)},
    {"__asprintf_chk", "asprintf", at(1)},
    {"__vasprintf_chk", "vasprintf", at(1)},
    {"__fgets_chk", "fgets", at(1)},
    {"__fgets_unlocked_chk", "fgets_unlocked", at(1)},
    {"__fread_chk", "fread", at(1)},
    {"__fread_unlocked_chk", "fread_unlocked", at(1)},
    {"__gets_chk", "gets", at(1)},
    // unistd.h, stdlib.h, sys/socket.h.
    {"__read_chk", "read", at(3)},
    {"__pread_chk", "pread", at(4)},
    {"__pread64_chk", "pread64", at(4)},
    {"__readlink_chk", "readlink", at(3)},
    {"__getcwd_chk", "getcwd", at(2)},
    {"__realpath_chk", "realpath", at(2)},
    {"__recv_chk", "recv", at(3)},
    {"__recvfrom_chk", "recvfrom", at(3)},
    // scanf under -std=c99 and later (no checking arguments).
    {"__isoc99_scanf", "scanf", at()},
    {"__isoc99_fscanf", "fscanf", at()},
    {"__isoc99_sscanf", "sscanf", at()},
    {"__isoc99_vscanf", "vscanf", at()},
    {"__isoc99_vfscanf", "vfscanf", at()},
    {"__isoc99_vsscanf", "vsscanf", at()},
    {"__isoc23_scanf", "scanf", at()},
    {"__isoc23_fscanf", "fscanf", at()},
    {"__isoc23_sscanf", "sscanf", at()},
};

const Alias *findAlias(StringRef Name) {
  if (!Name.starts_with("__"))
    return nullptr;
  for (const Alias &A : Aliases)
    if (Name == A.Name)
      return &A;
  return nullptr;
}

constexpr uint8_t bits(unsigned I) { return uint8_t(1u << I); }
template <typename... Rest> constexpr uint8_t bits(unsigned I, Rest... R) {
  return uint8_t(1u << I) | bits(R...);
}

/// Depth 0 is the object an argument points to (see OutputModel).
constexpr OutputModel::Flow argInto(int8_t From, int8_t Into) {
  return {From, 0, Into, 0};
}
constexpr OutputModel::Flow toResult(int8_t From, uint8_t Depth) {
  return {From, Depth, -1, 0};
}

OutputModel strtoModel(const char *Name, uint8_t NumParams) {
  // strtol(s, &end, base): end points into s.
  return {Name, NumParams, false, bits(0, 1), 0, 0, 0, false, -1,
          {argInto(0, 1)}};
}

/// The C library functions whose output parameters receive pointers.
const std::vector<OutputModel> &outputModels() {
  static const std::vector<OutputModel> Models = [] {
    std::vector<OutputModel> M;
    for (const char *N :
         {"strtol", "strtoll", "strtoul", "strtoull", "strtoq", "strtouq",
          "strtoimax", "strtoumax", "__isoc23_strtol", "__isoc23_strtoll",
          "__isoc23_strtoul", "__isoc23_strtoull", "__isoc23_strtoimax",
          "__isoc23_strtoumax", "wcstol", "wcstoll", "wcstoul", "wcstoull"})
      M.push_back(strtoModel(N, 3));
    for (const char *N : {"strtod", "strtof", "strtold", "wcstod", "wcstof",
                          "wcstold"})
      M.push_back(strtoModel(N, 2));
    // strtok_r(s, delim, &save): the result and save point into s, or (s
    // null) into what save pointed to.
    for (const char *N : {"strtok_r", "__strtok_r"})
      M.push_back({N, 3, false, bits(0, 1, 2), 0, 0, 0, false, -1,
                   {argInto(0, 2), toResult(0, 0), toResult(2, 1)}});
    // strsep(&s, delim): the result and the new *stringp point into *s.
    M.push_back({"strsep", 2, false, bits(0, 1), 0, 0, 0, false, -1,
                 {toResult(0, 1)}});
    // getline(&buf, &n, f), getdelim(&buf, &n, delim, f): *buf is
    // reallocated (or allocated), the stream keeps its own buffers.
    M.push_back({"getline", 3, false, bits(0, 1, 2), bits(0, 2), bits(0), 0,
                 false, -1, {}});
    for (const char *N : {"getdelim", "__getdelim"})
      M.push_back({N, 4, false, bits(0, 1, 3), bits(0, 3), bits(0), 0, false,
                   -1, {}});
    // realpath(path, resolved): resolved, or fresh memory when it is null.
    M.push_back({"realpath", 2, false, bits(0, 1), 0, 0, 0, true, -1,
                 {toResult(1, 0)}});
    // posix_memalign(&p, align, size), asprintf(&p, fmt, ...),
    // vasprintf(&p, fmt, ap): fresh memory into *p.
    M.push_back({"posix_memalign", 3, false, bits(0), bits(0), 0, 0, false,
                 -1, {}});
    M.push_back({"asprintf", 2, true, bits(0, 1), bits(0), 0, 0, false, 1,
                 {}});
    M.push_back({"vasprintf", 3, false, bits(0, 1, 2), bits(0), 0, bits(2),
                 false, -1, {}});
    // memccpy(dst, src, c, n): src's bytes into dst; the result points
    // into dst (or is null).
    M.push_back({"memccpy", 4, false, bits(0, 1), 0, 0, 0, false, -1,
                 {{1, 1, 0, 0}, toResult(0, 0)}});
    // iconv(cd, &in, &inleft, &out, &outleft): *in and *out advance within
    // their buffers; the input's bytes are converted into the output.
    M.push_back({"iconv", 5, false, bits(0, 1, 2, 3, 4), bits(0), 0, 0,
                 false, -1, {{1, 2, 3, 1}}});
    // scandir(dir, &namelist, filter, compar): a fresh array of fresh
    // entries into *namelist.
    M.push_back({"scandir", 4, false, bits(0, 1, 2, 3), bits(1), 0, 0,
                 false, -1, {}});
    return M;
  }();
  return Models;
}

const OutputModel *findOutputModel(StringRef Name) {
  static const StringMap<const OutputModel *> ByName = [] {
    StringMap<const OutputModel *> Map;
    for (const OutputModel &M : outputModels())
      Map[M.Name] = &M;
    return Map;
  }();
  return ByName.lookup(Name);
}

/// The same type in context \p Ctx (library prototypes use only integers,
/// pointers, floating point and void).
Type *rebuildType(Type *T, LLVMContext &Ctx) {
  if (T->isVoidTy())
    return Type::getVoidTy(Ctx);
  if (auto *IT = dyn_cast<IntegerType>(T))
    return IntegerType::get(Ctx, IT->getBitWidth());
  if (auto *PT = dyn_cast<PointerType>(T))
    return PointerType::get(Ctx, PT->getAddressSpace());
  if (T->isDoubleTy())
    return Type::getDoubleTy(Ctx);
  if (T->isFloatTy())
    return Type::getFloatTy(Ctx);
  return nullptr;
}

/// LLVM's inferred attributes for \p A's unchecked function with the
/// checked call's prototype less its checking arguments; nothing when the
/// TLI does not know it with that prototype.
std::optional<LibFuncAttrs> inferAttrs(const Alias &A, FunctionType *CheckedTy,
                                       const Module &Of,
                                       const TargetLibraryInfo &TLI) {
  LLVMContext Ctx;
  Module M("escalloc.libcalls", Ctx);
  M.setDataLayout(Of.getDataLayout());
  M.setTargetTriple(Of.getTargetTriple());
  Type *Ret = rebuildType(CheckedTy->getReturnType(), Ctx);
  if (!Ret)
    return std::nullopt;
  SmallVector<Type *, 6> Params;
  for (unsigned I = 0; I < CheckedTy->getNumParams(); ++I) {
    if (A.CheckArgs >> I & 1)
      continue;
    Type *T = rebuildType(CheckedTy->getParamType(I), Ctx);
    if (!T)
      return std::nullopt;
    Params.push_back(T);
  }
  Function *D =
      Function::Create(FunctionType::get(Ret, Params, CheckedTy->isVarArg()),
                       GlobalValue::ExternalLinkage, A.Unchecked, M);
  LibFunc LF;
  if (!TLI.getLibFunc(*D, LF) || !TLI.has(LF))
    return std::nullopt;
  inferNonMandatoryLibFuncAttrs(*D, TLI);
  LibFuncAttrs Out;
  Out.NoFree = D->doesNotFreeMemory();
  Out.ReadsOnly = D->onlyReadsMemory();
  Out.ArgMemOnly = D->onlyAccessesArgMemory();
  for (Argument &Arg : D->args())
    Out.Params.push_back(
        (Arg.hasNoCaptureAttr() ? LibFuncAttrs::NoCapture : 0) |
        (Arg.onlyReadsMemory() ? LibFuncAttrs::ReadOnly : 0) |
        (Arg.hasReturnedAttr() ? LibFuncAttrs::Returned : 0));
  return Out;
}

/// Cached inferAttrs, keyed by everything it depends on.
const LibFuncAttrs *cachedAttrs(const Alias &A, FunctionType *CheckedTy,
                                const Module &Of,
                                const TargetLibraryInfo &TLI) {
  static std::mutex Lock;
  static StringMap<std::unique_ptr<std::optional<LibFuncAttrs>>> Cache;
  std::string Key;
  raw_string_ostream OS(Key);
  OS << A.Name << '|' << *CheckedTy << '|' << Of.getDataLayoutStr() << '|'
     << Of.getTargetTriple();
  std::lock_guard<std::mutex> Guard(Lock);
  auto &Slot = Cache[Key];
  if (!Slot)
    Slot = std::make_unique<std::optional<LibFuncAttrs>>(
        inferAttrs(A, CheckedTy, Of, TLI));
  return *Slot ? &**Slot : nullptr;
}
} // namespace

std::optional<LibCall> LibCall::get(const CallBase &CB,
                                    const TargetLibraryInfo &TLI) {
  const Function *Callee = CB.getCalledFunction();
  if (!Callee || CB.isNoBuiltin())
    return std::nullopt;
  LibFunc LF;
  if (TLI.getLibFunc(*Callee, LF) && TLI.has(LF)) {
    // LLVM knows some checked names itself (LibFunc_memcpy_chk, ...): they
    // are read as their unchecked function like the rest.
    if (!findAlias(Callee->getName()))
      return LibCall(CB, LF);
  }
  const Alias *A = findAlias(Callee->getName());
  if (!A || !Callee->getParent())
    return std::nullopt;
  FunctionType *Ty = Callee->getFunctionType();
  if (CB.getFunctionType() != Ty || Ty->getNumParams() > 16)
    return std::nullopt;
  for (unsigned I = 0; I < 16; ++I)
    if ((A->CheckArgs >> I & 1) && (I >= Ty->getNumParams() ||
                                    !Ty->getParamType(I)->isIntegerTy()))
      return std::nullopt;
  const LibFuncAttrs *Attrs = cachedAttrs(*A, Ty, *Callee->getParent(), TLI);
  if (!Attrs || !TLI.getLibFunc(A->Unchecked, LF))
    return std::nullopt;
  LibCall Call(CB, LF);
  Call.CheckArgs = A->CheckArgs;
  Call.Attrs = Attrs;
  return Call;
}

unsigned LibCall::argOf(unsigned P) const {
  unsigned I = 0;
  for (;; ++I)
    if (!(CheckArgs >> I & 1) && P-- == 0)
      return I;
}

int LibCall::paramOf(unsigned I) const {
  if (I < 16 && (CheckArgs >> I & 1))
    return -1;
  return I - llvm::popcount(CheckArgs & ((1u << std::min(I, 16u)) - 1));
}

/// The inferred attribute bits of call argument \p I (0 for a checking or
/// variadic argument).
static uint8_t paramBits(const LibFuncAttrs &A, int P) {
  return P >= 0 && unsigned(P) < A.Params.size() ? A.Params[P] : 0;
}

bool LibCall::doesNotCapture(unsigned I) const {
  return CB->doesNotCapture(I) ||
         (Attrs && (paramBits(*Attrs, paramOf(I)) & LibFuncAttrs::NoCapture));
}

bool LibCall::onlyReadsMemory(unsigned I) const {
  return CB->onlyReadsMemory(I) ||
         (Attrs && (Attrs->ReadsOnly ||
                    (paramBits(*Attrs, paramOf(I)) & LibFuncAttrs::ReadOnly)));
}

bool LibCall::returnsArg(unsigned I) const {
  return CB->paramHasAttr(I, Attribute::Returned) ||
         (Attrs && (paramBits(*Attrs, paramOf(I)) & LibFuncAttrs::Returned));
}

bool LibCall::doesNotFree() const {
  return CB->hasFnAttr(Attribute::NoFree) || CB->onlyReadsMemory() ||
         (Attrs && (Attrs->NoFree || Attrs->ReadsOnly));
}

bool LibCall::onlyReadsMemory() const {
  return CB->onlyReadsMemory() || (Attrs && Attrs->ReadsOnly);
}

bool LibCall::onlyAccessesArgMemory() const {
  return CB->onlyAccessesArgMemory() || (Attrs && Attrs->ArgMemOnly);
}

std::optional<ModelCall> ModelCall::get(const CallBase &CB) {
  const Function *Callee = CB.getCalledFunction();
  if (!Callee || CB.isNoBuiltin() || !Callee->isDeclaration())
    return std::nullopt;
  StringRef Name = Callee->getName();
  uint16_t CheckArgs = 0;
  if (const Alias *A = findAlias(Name)) {
    Name = A->Unchecked;
    CheckArgs = A->CheckArgs;
  }
  const OutputModel *M = findOutputModel(Name);
  FunctionType *Ty = Callee->getFunctionType();
  if (!M || CB.getFunctionType() != Ty || Ty->getNumParams() > 16 ||
      Ty->isVarArg() != M->Variadic ||
      Ty->getNumParams() != M->NumParams + unsigned(llvm::popcount(CheckArgs)))
    return std::nullopt;
  ModelCall Call(*M, CheckArgs);
  for (unsigned I = 0; I < Ty->getNumParams(); ++I) {
    int P = Call.paramOf(I);
    bool Ptr = Ty->getParamType(I)->isPointerTy();
    if (P < 0 ? !Ty->getParamType(I)->isIntegerTy()
              : Ptr != bool(M->Pointers >> P & 1))
      return std::nullopt;
  }
  return Call;
}

unsigned ModelCall::argOf(unsigned P) const {
  unsigned I = 0;
  for (;; ++I)
    if (!(CheckArgs >> I & 1) && P-- == 0)
      return I;
}

int ModelCall::paramOf(unsigned I) const {
  if (I < 16 && (CheckArgs >> I & 1))
    return -1;
  return I - llvm::popcount(CheckArgs & ((1u << std::min(I, 16u)) - 1));
}

/// A glibc header's inline wrapper (bits/string_fortified.h, bits/stdio2.h,
/// ...): the code the user wrote is where it was inlined.
static bool inGlibcBits(const DILocation *L) {
  const DIFile *F = L->getScope()->getFile();
  if (!F)
    return false;
  StringRef Name = F->getFilename();
  return Name.contains("/bits/") || Name.starts_with("bits/");
}

DebugLoc userLoc(const Instruction &I) {
  const DILocation *L = I.getDebugLoc().get();
  while (L && L->getInlinedAt() && inGlibcBits(L))
    L = L->getInlinedAt();
  return DebugLoc(L);
}

} // namespace escalloc
