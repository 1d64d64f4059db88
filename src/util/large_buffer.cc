#include "util/large_buffer.h"

#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace proberows {

void AdviseHugePages(const void* data, size_t bytes) {
#if defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  if (bytes < 2 * kHugePage) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHugePage - 1);
  // Only the advice: a failure (no THP support, a kernel that refuses)
  // leaves ordinary pages, which is what the buffer would have had anyway.
  if (begin < end) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

void ReserveDiscarding(std::string* s, size_t capacity) {
  if (s->capacity() >= capacity) return;
  std::string().swap(*s);
  s->reserve(capacity);
  AdviseHugePages(s->data(), capacity);
}

}  // namespace proberows
