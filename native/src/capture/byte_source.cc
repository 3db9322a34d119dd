#include "capture/byte_source.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace mommy {

namespace {

class GzSource final : public ByteSource {
 public:
  explicit GzSource(gzFile f) : file_(f) {}
  ~GzSource() override { gzclose(file_); }

  size_t read(uint8_t* dst, size_t n) override {
    if (n > INT_MAX) n = INT_MAX;
    const int got = gzread(file_, dst, static_cast<unsigned>(n));
    if (got < 0 || (got == 0 && !gzeof(file_))) {
      int code = 0;
      const char* msg = gzerror(file_, &code);
      error_ = code == Z_ERRNO ? std::strerror(errno) : (msg ? msg : "read error");
      return 0;
    }
    if (got == 0) {
      // A gzip stream cut short reads as end-of-file with a buffer error.
      int code = 0;
      const char* msg = gzerror(file_, &code);
      if (code != Z_OK && code != Z_STREAM_END) error_ = msg ? msg : "compressed stream error";
    }
    return static_cast<size_t>(got);
  }
  const std::string& error() const override { return error_; }
  bool compressed() const override { return gzdirect(file_) == 0; }
  uint64_t consumed() const override {
    const z_off_t at = gzoffset(file_);
    return at > 0 ? static_cast<uint64_t>(at) : 0;
  }

 private:
  gzFile file_;
  std::string error_;
};

// Reads another source ahead on a thread of its own, a few blocks at a
// time. Inflating a gzip capture costs about as much as decoding it and
// building its flows; this way the two run side by side instead of in turn.
// The consumer sees the same bytes, and the inner source's error once it
// has read every byte that came before it.
class ReadAheadSource final : public ByteSource {
 public:
  explicit ReadAheadSource(std::unique_ptr<ByteSource> inner)
      : inner_(std::move(inner)), compressed_(inner_->compressed()), blocks_(kBlocks) {
    thread_ = std::thread([this] { produce(); });
  }
  ~ReadAheadSource() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  // Like read(2): what the oldest filled block has left, up to n, waiting only when none is filled.
  size_t read(uint8_t* dst, size_t n) override {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return filled_ > 0 || ended_; });
    if (filled_ == 0) {  // ended, and every block read
      error_ = inner_error_;
      return 0;
    }
    Block& b = blocks_[head_];
    lock.unlock();  // the producer does not touch a filled block
    const size_t take = n < b.size - taken_ ? n : b.size - taken_;
    std::memcpy(dst, b.bytes.data() + taken_, take);
    taken_ += take;
    if (taken_ == b.size) {
      taken_ = 0;
      lock.lock();
      head_ = (head_ + 1) % kBlocks;
      --filled_;
      lock.unlock();
      changed_.notify_all();
    }
    return take;
  }
  const std::string& error() const override { return error_; }
  bool compressed() const override { return compressed_; }
  uint64_t consumed() const override { return consumed_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBlocks = 4;
  static constexpr size_t kBlockBytes = 1 << 20;
  struct Block {
    std::vector<uint8_t> bytes;
    size_t size = 0;
  };

  void produce() {
    size_t tail = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [this] { return filled_ < kBlocks || stop_; });
        if (stop_) return;
      }
      // Block `tail` is neither filled nor read: only this thread touches it.
      Block& b = blocks_[tail];
      b.bytes.resize(kBlockBytes);
      b.size = 0;
      bool end = false;
      while (b.size < kBlockBytes) {
        const size_t got = inner_->read(b.bytes.data() + b.size, kBlockBytes - b.size);
        if (got == 0) {
          end = true;
          break;
        }
        b.size += got;
      }
      consumed_.store(inner_->consumed(), std::memory_order_relaxed);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (b.size > 0) {
          tail = (tail + 1) % kBlocks;
          ++filled_;
        }
        if (end) {
          ended_ = true;
          inner_error_ = inner_->error();
        }
      }
      changed_.notify_all();
      if (end) return;
    }
  }

  std::unique_ptr<ByteSource> inner_;
  const bool compressed_;
  // The inner source's, as of the last block filled: the inner source belongs to the producer.
  std::atomic<uint64_t> consumed_{0};
  std::vector<Block> blocks_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  // Under mutex_: blocks filled and not yet read (from head_ on), and how the producer ended.
  size_t head_ = 0, filled_ = 0;
  bool ended_ = false, stop_ = false;
  std::string inner_error_;
  // The consumer's own: bytes of block head_ already read, and the error it has reached.
  size_t taken_ = 0;
  std::string error_;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t read(uint8_t* dst, size_t n) override {
    const size_t take = n < size_ - pos_ ? n : size_ - pos_;
    std::memcpy(dst, data_ + pos_, take);
    pos_ += take;
    return take;
  }
  const std::string& error() const override { return error_; }
  bool compressed() const override { return false; }
  uint64_t consumed() const override { return pos_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

std::unique_ptr<ByteSource> open_file_source(const std::string& path, std::string& error) {
  gzFile f = nullptr;
  const bool from_stdin = path == "-" || path == "/dev/stdin";
  if (from_stdin) {
    // Standard input is already open; opening /dev/stdin by name fails when
    // it is a socket (as for children of Node), so use the descriptor.
    f = gzdopen(dup(0), "rb");
  } else {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      error = path + ": " + std::strerror(errno);
      return nullptr;
    }
    if (S_ISDIR(st.st_mode)) {
      error = path + ": is a directory";
      return nullptr;
    }
    f = gzopen(path.c_str(), "rb");
  }
  if (!f) {
    error = path + ": " + (errno ? std::strerror(errno) : "cannot open");
    return nullptr;
  }
  // Larger than zlib's default: fewer read(2) calls on big captures.
  gzbuffer(f, 1 << 18);
  auto source = std::make_unique<GzSource>(f);
  // An uncompressed file is read straight into the reader's buffer; only inflating is worth a
  // thread. Not for standard input: a pipe's read can wait for ever, and so would stopping.
  if (source->compressed() && !from_stdin) return std::make_unique<ReadAheadSource>(std::move(source));
  return source;
}

std::unique_ptr<ByteSource> memory_source(const uint8_t* data, size_t size) {
  return std::make_unique<MemorySource>(data, size);
}

}  // namespace mommy
