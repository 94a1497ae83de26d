# Loads a library built by escc through ctypes (dlopen, RTLD_LOCAL) and passes
# objects both ways with the interpreter's malloc.  With a second argument,
# the shared runtime is loaded first, RTLD_GLOBAL (its escalloc_* entry points
# then come first, its malloc still after libc's).
import ctypes
import sys

if len(sys.argv) > 2:
    ctypes.CDLL(sys.argv[2], mode=ctypes.RTLD_GLOBAL)
lib = ctypes.CDLL(sys.argv[1])
libc = ctypes.CDLL(None)
vp, sz = ctypes.c_void_p, ctypes.c_size_t
for f, res, args in [(lib.dupstr, vp, [ctypes.c_char_p]), (lib.lib_free, None, [vp]),
                     (lib.lib_grow, vp, [vp, sz]), (libc.malloc, vp, [sz]),
                     (libc.free, None, [vp]), (libc.realloc, vp, [vp, sz])]:
    f.restype, f.argtypes = res, args

rounds = 1000
for i in range(rounds):
    p = lib.dupstr(b"library's object reallocated and freed by python")
    p = libc.realloc(p, 5000 + i)
    if i == 0:
        print(ctypes.string_at(p).decode())
    libc.free(p)
    text = b"python's object grown and freed by the library\0"
    q = libc.malloc(len(text))
    ctypes.memmove(q, text, len(text))
    q = lib.lib_grow(q, 3000 + i)
    if i == 0:
        print(ctypes.string_at(q).decode())
    lib.lib_free(q)
print("done: %d rounds" % rounds)
