// Column buffers in Arrow's memory layout, filled row by row from finished
// flows: fixed-width values, int32 offsets plus bytes for strings and binary,
// and an LSB-first validity bitmap allocated only once a null appears.
// A finished Batch hands its buffers to JavaScript, which wraps them without
// copying (apache-arrow makeData over the same memory).
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <memory>
#include <vector>

#include "batch/schema.h"
#include "flow/flow.h"

namespace mommy {

// A malloc'd buffer whose ownership can be released to a JS ArrayBuffer.
class OwnedBuffer {
 public:
  OwnedBuffer() = default;
  ~OwnedBuffer() { std::free(data_); }
  OwnedBuffer(const OwnedBuffer&) = delete;
  OwnedBuffer& operator=(const OwnedBuffer&) = delete;
  OwnedBuffer(OwnedBuffer&& o) noexcept;
  OwnedBuffer& operator=(OwnedBuffer&& o) noexcept;

  void reserve(size_t bytes);
  void append(const void* src, size_t n);
  uint8_t* grow(size_t n);  // extends size by n, returns the new bytes
  void set_size(size_t n) { size_ = n; }  // within capacity
  uint8_t* data() { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  // Returns unused capacity (a batch closed early by the live interval).
  void shrink_to_fit();
  // Gives up ownership; the caller must free() the pointer.
  uint8_t* release();

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

struct ColumnData {
  OwnedBuffer values;
  OwnedBuffer offsets;   // utf8/binary only: rows + 1 int32
  OwnedBuffer validity;  // empty when the column has no nulls
  uint32_t null_count = 0;
};

struct Batch {
  uint32_t rows = 0;
  std::vector<ColumnData> columns;  // kColumnCount, in schema order
};

// A flow's payload prefixes: `prefix_len[d]` bytes at `at[d]` (null when
// the direction had no payload).
struct PayloadPrefixes {
  const uint8_t* at[2];
};

class BatchBuilder {
 public:
  explicit BatchBuilder(uint32_t capacity);
  // Appends one flow record. Returns true when the batch is full.
  bool append(const Flow& flow, EndReason reason, const PayloadPrefixes& prefixes);
  // Takes the rows so far (null when there are none) and starts a new batch.
  std::unique_ptr<Batch> take();

 private:
  void start();
  // Fixed-width values are stored by row index into buffers reserved for a
  // whole batch; take() sets their sizes.
  template <typename T>
  void put(Col c, T v) {
    std::memcpy(batch_->columns[static_cast<int>(c)].values.data() + sizeof(T) * batch_->rows, &v, sizeof v);
  }
  template <typename T>
  void put_null(Col c) {
    put<T>(c, T{});
    mark_null(batch_->columns[static_cast<int>(c)]);
  }
  void put_bytes(Col c, const void* p, size_t n);
  void mark_null(ColumnData& col);

  uint32_t capacity_;
  std::unique_ptr<Batch> batch_;
};

}  // namespace mommy
