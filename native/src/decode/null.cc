// BSD loopback (LINKTYPE_NULL: address family in the capturing host's byte
// order) and OpenBSD's LINKTYPE_LOOP (network byte order). AF_INET6 differs
// between systems: 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kNullHeader = 4;

Anomaly null_loopback(Layer in, Decoded& out, bool network_order) {
  if (in.cap < kNullHeader) return Anomaly::link_truncated;
  uint32_t family = network_order ? be32(in.p) : le32(in.p);
  // A file written on a big-endian host: the family lands in the top bytes.
  if (!network_order && (family & 0xFFFF0000u) != 0) family = be32(in.p);
  const Layer rest = in.advance(kNullHeader);
  switch (family) {
    case 2: return ipv4(rest, out);
    case 10:
    case 24:
    case 28:
    case 30: return ipv6(rest, out);
    default: return Anomaly::not_ip;
  }
}

}  // namespace mommy::decode
