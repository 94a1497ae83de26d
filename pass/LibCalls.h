//===- LibCalls.h - C library calls as the user wrote them ------*- C++ -*-===//
//
// One place that says which C library function a call is.  With
// _FORTIFY_SOURCE, glibc's headers turn memcpy into __memcpy_chk, printf
// into __printf_chk, fgets into __fgets_chk, ...: the same function with
// checking arguments (a flag, the destination's object size) added, and
// without the attributes LLVM infers for the unchecked name.  Here such a
// call is seen exactly as the unchecked function: its LibFunc, its
// parameters (checking arguments skipped), and the attributes LLVM's
// inferattrs gives the unchecked declaration.  glibc's __isoc99_scanf
// family (scanf under -std=c99 and later) is seen as scanf the same way.
//
// Invariant: a checked call is never understood better than its unchecked
// version would be; anything not in the table, or whose prototype the TLI
// rejects, is not a library call here (the analysis then stays
// conservative).
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_LIBCALLS_H
#define ESCALLOC_PASS_LIBCALLS_H

#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/DebugLoc.h"
#include "llvm/IR/InstrTypes.h"
#include <optional>

namespace escalloc {

/// What LLVM infers for a library function's declaration (plain data, so it
/// can be shared between contexts).
struct LibFuncAttrs {
  enum : uint8_t { NoCapture = 1, ReadOnly = 2, Returned = 4 };
  bool NoFree = false;
  bool ReadsOnly = false;   ///< reads memory only
  bool ArgMemOnly = false;  ///< touches only its pointer arguments' memory
  llvm::SmallVector<uint8_t, 6> Params;
};

/// A call to a C library function, as the function the user wrote.
class LibCall {
public:
  /// The library call \p CB is, or nothing (not a library function the TLI
  /// knows and has, an indirect call, nobuiltin).
  static std::optional<LibCall> get(const llvm::CallBase &CB,
                                    const llvm::TargetLibraryInfo &TLI);

  /// The function the user wrote: memcpy for __memcpy_chk.
  llvm::LibFunc func() const { return Func; }
  /// A glibc *_chk (or __isoc99_*) call standing for func().
  bool isAlias() const { return Attrs != nullptr; }

  /// The call argument that is parameter \p P of func().
  unsigned argOf(unsigned P) const;
  /// The parameter of func() that call argument \p I is, or -1 for a
  /// checking argument (a flag or an object size).
  int paramOf(unsigned I) const;

  /// Attribute queries about call argument \p I / the call, answered for
  /// func() (the call's own attributes count too).
  bool doesNotCapture(unsigned I) const;
  bool onlyReadsMemory(unsigned I) const;
  bool returnsArg(unsigned I) const;
  bool doesNotFree() const;
  bool onlyReadsMemory() const;
  bool onlyAccessesArgMemory() const;

private:
  LibCall(const llvm::CallBase &CB, llvm::LibFunc Func) : CB(&CB), Func(Func) {}
  const llvm::CallBase *CB;
  llvm::LibFunc Func;
  uint16_t CheckArgs = 0; ///< bit I: call argument I is a checking argument
  const LibFuncAttrs *Attrs = nullptr; ///< set for an alias only
};

/// What a C library function with output parameters does with its pointer
/// arguments, exactly.  These store a pointer derived from one argument, or
/// fresh memory, through another (strtol's endptr, strtok_r's save pointer,
/// getline's reallocated buffer); LLVM's attributes either miss them or make
/// every such argument escape.  Depth 0 is the object an argument points to,
/// depth 1 the objects the pointers stored in it point to.  A pointer
/// parameter not named below is read (or written with data) and neither
/// captured nor freed.
struct OutputModel {
  struct Flow {
    int8_t From;       ///< parameter whose pointer (at FromDepth) is stored
    uint8_t FromDepth; ///< 0: the argument itself; 1: a pointer loaded from it
    int8_t Into;       ///< parameter below which it is stored; -1: the result
    uint8_t IntoDepth; ///< 0: into the argument's object; 1: one level below
  };
  const char *Name;
  uint8_t NumParams; ///< fixed parameters, checking arguments excluded
  bool Variadic;
  uint8_t Pointers;  ///< bit P: parameter P is a pointer (prototype check)
  uint8_t Fresh;     ///< bit P: fresh or unknown pointers are stored in *P
  uint8_t Reallocs;  ///< bit P: the pointer stored in *P may be reallocated
  uint8_t Publishes; ///< bit P: what *P holds may be published (a va_list)
  bool ResultFresh;  ///< the result may be fresh memory
  int8_t FormatArg;  ///< variadic arguments are formatted (sprintf's rules)
  llvm::SmallVector<Flow, 2> Flows;
};

/// A call to a function with an OutputModel (glibc's checked and __isoc23_
/// names included), with the call's arguments mapped to the model's
/// parameters.
class ModelCall {
public:
  static std::optional<ModelCall> get(const llvm::CallBase &CB);
  const OutputModel &model() const { return *M; }
  /// The call argument that is parameter \p P.
  unsigned argOf(unsigned P) const;
  /// The parameter call argument \p I is, or -1 for a checking argument.
  int paramOf(unsigned I) const;

private:
  ModelCall(const OutputModel &M, uint16_t CheckArgs)
      : M(&M), CheckArgs(CheckArgs) {}
  const OutputModel *M;
  uint16_t CheckArgs;
};

/// Where a remark about \p I should point: the user's line.  A glibc
/// fortify wrapper (the always-inline `memcpy` of bits/string_fortified.h
/// that calls __memcpy_chk) is skipped to the line that called it.
llvm::DebugLoc userLoc(const llvm::Instruction &I);

} // namespace escalloc

#endif
