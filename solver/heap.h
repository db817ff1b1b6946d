// Handing freed heap pages back to the operating system.
//
// Why: the solver frees large blocks at known moments (the Krylov solver
// state before a field snapshot and after the t = 0 equilibrium, the coarse
// meshes of a nested equilibrium, a snapshot's buffers), and glibc keeps
// the freed pages in the heap. The next large allocations reuse them only
// in part and land on fresh pages beside them, so the resident size grew by
// the sum instead of the maximum (docs/performance.md, "Memory").
#pragma once

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace protonfem
{
  /// Returns the free pages of the heap to the system (glibc; a no-op
  /// elsewhere).
  inline void return_free_heap_pages()
  {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
  }
} // namespace protonfem
