#include "capture/byte_source.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <climits>
#include <cstring>

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

 private:
  gzFile file_;
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

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

std::unique_ptr<ByteSource> open_file_source(const std::string& path, std::string& error) {
  gzFile f = nullptr;
  if (path == "-" || path == "/dev/stdin") {
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
  return std::make_unique<GzSource>(f);
}

std::unique_ptr<ByteSource> memory_source(const uint8_t* data, size_t size) {
  return std::make_unique<MemorySource>(data, size);
}

}  // namespace mommy
