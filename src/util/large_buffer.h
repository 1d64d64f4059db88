// Large reusable buffers: the reduce's per-partition buffers (spilled
// records, encoded rows, sort references) are tens of MiB each. Growing them
// with std::string/std::vector copies the old bytes into the new block and
// then faults in every 4 KiB page of it, one trap at a time; on a VM each
// trap is expensive. These helpers grow without the copy and ask the kernel
// to back the block with transparent huge pages (one fault per 2 MiB).
#ifndef PROBEROWS_UTIL_LARGE_BUFFER_H_
#define PROBEROWS_UTIL_LARGE_BUFFER_H_

#include <cstddef>
#include <string>
#include <vector>

namespace proberows {

// Asks the kernel to back the whole 2 MiB pages inside [data, data + bytes)
// with transparent huge pages. A hint: does nothing on systems without it,
// below 4 MiB, or when the kernel refuses. The memory's contents and the
// program's results do not depend on it.
void AdviseHugePages(const void* data, size_t bytes);

// Makes `s` able to hold `capacity` bytes without reallocating. When it must
// grow, its old contents are dropped instead of copied (s becomes empty) and
// the new block is advised as above. Otherwise `s` is left as it is.
void ReserveDiscarding(std::string* s, size_t capacity);

// The same for a vector of trivially copyable elements.
template <typename T>
void ReserveDiscarding(std::vector<T>* v, size_t capacity) {
  if (v->capacity() >= capacity) return;
  std::vector<T>().swap(*v);
  v->reserve(capacity);
  AdviseHugePages(v->data(), capacity * sizeof(T));
}

}  // namespace proberows

#endif  // PROBEROWS_UTIL_LARGE_BUFFER_H_
