#include "capture/file_sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

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
}  // namespace

bool sha256_file(const std::string& path, std::string& hex, std::string& error) {
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
  for (;;) {
    const ssize_t n = read(file.fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path + ": " + std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    EVP_DigestUpdate(digest.ctx, buffer.data(), static_cast<size_t>(n));
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(digest.ctx, out, &len);
  static const char kHex[] = "0123456789abcdef";
  hex.resize(2 * static_cast<size_t>(len));
  for (unsigned int i = 0; i < len; ++i) {
    hex[2 * i] = kHex[out[i] >> 4];
    hex[2 * i + 1] = kHex[out[i] & 15];
  }
  return true;
}

}  // namespace mommy
