// The SHA-256 of a file, which identifies a capture in the store. Computed
// here rather than in JavaScript so that it runs on a thread of Node's pool:
// the JavaScript thread stays free for the database while the next capture of
// an ingest is hashed.
#pragma once
#include <cstdint>
#include <string>

namespace mommy {

struct FileDigests {
  // Of the bytes hashed: the whole file, or its first `length` bytes.
  std::string sha256;
  // Of the first `prefix_length` bytes, when asked for and the file has them;
  // empty otherwise. An ingest compares it with the digest stored for the
  // file's earlier, shorter version, to know the file grew (was appended to).
  std::string prefix_sha256;
};

struct DigestRange {
  // Bytes to hash from the start; UINT64_MAX: to the end of the file. A file
  // that is shorter is hashed to its end.
  uint64_t length = UINT64_MAX;
  // Also the digest of this many first bytes; UINT64_MAX: none.
  uint64_t prefix_length = UINT64_MAX;
};

// Returns true and the digests in lower-case hex, or false and a message that
// names the file.
bool sha256_file(const std::string& path, const DigestRange& range, FileDigests& digests, std::string& error);

}  // namespace mommy
