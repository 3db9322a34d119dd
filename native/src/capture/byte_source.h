// Where capture bytes come from: a file (plain or gzip, through zlib, which
// reads uncompressed files as they are), standard input, or memory (tests and
// the fuzzer). Offsets reported in errors count bytes of the uncompressed
// stream.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace mommy {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes; returns how many. 0 means end of input or an error
  // (then error() is non-empty).
  virtual size_t read(uint8_t* dst, size_t n) = 0;
  virtual const std::string& error() const = 0;
  virtual bool compressed() const = 0;
  // Bytes of the file itself taken so far: for gzip, compressed bytes (what
  // progress against the file's size needs). Read ahead, it may lead what
  // read() has returned by a few blocks.
  virtual uint64_t consumed() const = 0;
};

// Opens `path` ("-" and "/dev/stdin" are standard input). On failure returns null and sets
// `error` to a message naming the path.
std::unique_ptr<ByteSource> open_file_source(const std::string& path, std::string& error);
std::unique_ptr<ByteSource> memory_source(const uint8_t* data, size_t size);

}  // namespace mommy
