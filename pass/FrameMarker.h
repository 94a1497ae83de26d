//===- FrameMarker.h - Whether the module's code keeps frame pointers -*- C++ -*-===//
//
// The runtime's heap profiler unwinds sampled stacks by frame pointers only
// where the program says it has them, and by DWARF CFI otherwise
// (rtlib/profile.c).  The pass says it for every module it optimises: a
// one-byte weak constant escalloc_frame_pointers when every function defined
// in the module keeps its frame pointer ("frame-pointer"="all" or
// "non-leaf": clang's -fno-omit-frame-pointer, escc --frame-pointers), else
// escalloc_no_frame_pointers.  The linker merges each name into one
// definition; the runtime references both weakly and walks frame pointers
// when the first is defined and the second is not.
//
// Invariants: the markers describe the functions as the compile brought them
// (run before the pass adds its own); a module with no function definitions
// defines neither; marking is idempotent.
//
//===----------------------------------------------------------------------===//
#ifndef ESCALLOC_PASS_FRAMEMARKER_H
#define ESCALLOC_PASS_FRAMEMARKER_H

namespace llvm {
class Module;
} // namespace llvm

namespace escalloc {

/// Defines the marker that describes M's functions; true if one was added.
bool markFramePointers(llvm::Module &M);

} // namespace escalloc

#endif
