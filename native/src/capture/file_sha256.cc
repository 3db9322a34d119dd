#include "capture/file_sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace mommy {

namespace {
// 1 MB reads: the digest, not the system calls, is then the cost.
constexpr size_t kChunk = 1 << 20;

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
};

// Finishes a copy of `running`, which goes on: the digest of what it has seen so far.
std::string hex_digest(EVP_MD_CTX* running) {
  DigestContext copy;
  EVP_MD_CTX_copy_ex(copy.ctx, running);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy.ctx, out, &len);
  static const char kHex[] = "0123456789abcdef";
  std::string hex(2 * static_cast<size_t>(len), '0');
  for (unsigned int i = 0; i < len; ++i) {
    hex[2 * i] = kHex[out[i] >> 4];
    hex[2 * i + 1] = kHex[out[i] & 15];
  }
  return hex;
}
}  // namespace

bool sha256_file(const std::string& path, const DigestRange& range, FileDigests& digests, std::string& error) {
  const Fd file{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  posix_fadvise(file.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  DigestContext digest;
  if (!digest.ctx || EVP_DigestInit_ex(digest.ctx, EVP_sha256(), nullptr) != 1) {
    error = path + ": SHA-256 is not available";
    return false;
  }
  std::vector<unsigned char> buffer(kChunk);
  uint64_t hashed = 0;
  bool prefix_done = range.prefix_length == UINT64_MAX;
  while (hashed < range.length) {
    // A read stops at the prefix's end, so the running digest can be copied there.
    uint64_t want = std::min<uint64_t>(buffer.size(), range.length - hashed);
    if (!prefix_done) want = std::min(want, range.prefix_length - hashed);
    if (want == 0) {
      digests.prefix_sha256 = hex_digest(digest.ctx);
      prefix_done = true;
      continue;
    }
    const ssize_t n = read(file.fd, buffer.data(), static_cast<size_t>(want));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path + ": " + std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    EVP_DigestUpdate(digest.ctx, buffer.data(), static_cast<size_t>(n));
    hashed += static_cast<uint64_t>(n);
  }
  if (!prefix_done && hashed == range.prefix_length) digests.prefix_sha256 = hex_digest(digest.ctx);
  digests.sha256 = hex_digest(digest.ctx);
  return true;
}

}  // namespace mommy
