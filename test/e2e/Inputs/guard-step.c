// The other translation unit of guard-mutual-recursion.c: step calls walk.
long walk(int n, long acc);
long step(int n, long acc) { return walk(n, acc + 1); }
