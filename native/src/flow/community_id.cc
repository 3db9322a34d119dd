#include "flow/community_id.h"

#include <openssl/evp.h>

#include <cstring>

#include "flow/key.h"

namespace mommy {

namespace {
bool has_ports(uint8_t proto) { return proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58; }

// One digest context and one fetched SHA-1 per thread: with OpenSSL 3 an
// implicit fetch (EVP_sha1() in DigestInit) and a context allocation each
// cost more than hashing 40 bytes.
struct Sha1 {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Sha1() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};
}  // namespace

std::string community_id_v1(const CommunityIdInput& in, uint16_t seed) {
  const size_t alen = in.ip_version == 4 ? 4 : 16;
  const uint8_t* src = in.src;
  const uint8_t* dst = in.dst;
  uint16_t sport = in.src_port, dport = in.dst_port;
  bool one_way = false;
  if (in.proto == 1 || in.proto == 58) {
    uint8_t other;
    if (icmp_counterpart(in.ip_version, static_cast<uint8_t>(sport), other)) dport = other;
    else one_way = true;
  }
  const bool ports = has_ports(in.proto);
  if (!ports) sport = dport = 0;
  // Order the endpoints so both directions hash alike (one-way ICMP keeps
  // the order it was seen in, as the specification says).
  const int cmp = std::memcmp(src, dst, alen);
  if (!one_way && !(cmp < 0 || (cmp == 0 && sport <= dport))) {
    std::swap(src, dst);
    std::swap(sport, dport);
  }

  uint8_t buf[2 + 16 + 16 + 2 + 4];
  size_t n = 0;
  buf[n++] = static_cast<uint8_t>(seed >> 8);
  buf[n++] = static_cast<uint8_t>(seed);
  std::memcpy(buf + n, src, alen);
  n += alen;
  std::memcpy(buf + n, dst, alen);
  n += alen;
  buf[n++] = in.proto;
  buf[n++] = 0;
  if (ports) {
    buf[n++] = static_cast<uint8_t>(sport >> 8);
    buf[n++] = static_cast<uint8_t>(sport);
    buf[n++] = static_cast<uint8_t>(dport >> 8);
    buf[n++] = static_cast<uint8_t>(dport);
  }

  thread_local Sha1 sha;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  EVP_DigestInit_ex2(sha.ctx, sha.md, nullptr);
  EVP_DigestUpdate(sha.ctx, buf, n);
  EVP_DigestFinal_ex(sha.ctx, digest, &dlen);

  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int blen = EVP_EncodeBlock(b64, digest, static_cast<int>(dlen));
  std::string out = "1:";
  out.append(reinterpret_cast<const char*>(b64), static_cast<size_t>(blen));
  return out;
}

}  // namespace mommy
