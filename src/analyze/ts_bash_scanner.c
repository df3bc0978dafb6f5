// Builds tree-sitter-bash's external scanner so that all of its memory goes
// through tree-sitter's allocator, which ts_guard.cc tracks and can reclaim
// when a parse is abandoned: with TREE_SITTER_REUSE_ALLOCATOR its arrays use
// ts_current_malloc and friends, and its one direct calloc/free pair is
// redirected here. The grammar sources themselves stay untouched.
#define TREE_SITTER_REUSE_ALLOCATOR
#include <stdlib.h>

#include "tree_sitter/alloc.h"

#define calloc(n, s) ts_current_calloc(n, s)
#define free(p) ts_current_free(p)
#include "scanner.c"
