#include "util/byte_buffer.h"

#include <algorithm>
#include <cstring>

#include "util/large_buffer.h"

namespace proberows {

void ByteBuffer::Grow(size_t n) {
  const size_t capacity = std::max(size_ + n, capacity_ + capacity_ / 2);
  std::unique_ptr<char[]> grown = std::make_unique_for_overwrite<char[]>(capacity);
  if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
  data_ = std::move(grown);
  capacity_ = capacity;
}

void ByteBuffer::ReserveDiscarding(size_t capacity) {
  if (capacity_ >= capacity) return;
  data_.reset();  // before the new block: the old one's memory can serve it
  size_ = 0;
  capacity_ = 0;
  data_ = std::make_unique_for_overwrite<char[]>(capacity);
  capacity_ = capacity;
  AdviseHugePages(data_.get(), capacity);
}

}  // namespace proberows
