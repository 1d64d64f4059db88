// ByteBuffer: a growable byte array whose new bytes are not zero-filled.
//
// std::string::resize writes every byte it adds, which is wasted work when
// the caller overwrites them at once (the reduce appends each encoded row
// after computing its size). ByteBuffer hands out uninitialized room
// instead, and keeps its capacity across clear() so a buffer reused from
// partition to partition stays faulted in.
#ifndef PROBEROWS_UTIL_BYTE_BUFFER_H_
#define PROBEROWS_UTIL_BYTE_BUFFER_H_

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

namespace proberows {

// Thread-compatible (no internal locking). Movable, not copyable.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  // A moved-from buffer is empty, with no capacity.
  ByteBuffer(ByteBuffer&& other) noexcept
      : data_(std::move(other.data_)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    return *this;
  }

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return std::string_view(data_.get(), size_); }

  // Appends `n` bytes of unspecified content and returns a pointer to the
  // first of them, valid until the next call that grows the buffer. Growth
  // is geometric and keeps the bytes already there.
  char* Extend(size_t n) {
    if (capacity_ - size_ < n) Grow(n);
    char* p = data_.get() + size_;
    size_ += n;
    return p;
  }

  // Drops the contents; the capacity stays.
  void clear() { size_ = 0; }

  // Makes the buffer able to hold `capacity` bytes without reallocating.
  // When it must grow, its contents are dropped instead of copied (size()
  // becomes 0) and the new block is advised for transparent huge pages
  // (util/large_buffer.h). Otherwise the buffer is left as it is.
  void ReserveDiscarding(size_t capacity);

 private:
  void Grow(size_t n);  // room for n more bytes, keeping the contents

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace proberows

#endif  // PROBEROWS_UTIL_BYTE_BUFFER_H_
