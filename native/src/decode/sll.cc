// Linux "cooked" captures: SLL (LINKTYPE_LINUX_SLL, 16-byte header, protocol
// last) and SLL2 (LINKTYPE_LINUX_SLL2, 20-byte header, protocol first).
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kSllHeader = 16;
constexpr uint32_t kSll2Header = 20;
// Protocol values below 0x0600 are not EtherTypes but Linux's ETH_P_* pseudo
// protocols (802.2 LLC, CAN, ...): none of them is IP.
constexpr uint16_t kMinEtherType = 0x0600;

Anomaly sll(Layer in, Decoded& out) {
  if (in.cap < kSllHeader) return Anomaly::link_truncated;
  const uint16_t proto = be16(in.p + 14);
  if (proto < kMinEtherType) return Anomaly::not_ip;
  return ethertype(proto, in.advance(kSllHeader), out, 0);
}

Anomaly sll2(Layer in, Decoded& out) {
  if (in.cap < kSll2Header) return Anomaly::link_truncated;
  const uint16_t proto = be16(in.p);
  if (proto < kMinEtherType) return Anomaly::not_ip;
  return ethertype(proto, in.advance(kSll2Header), out, 0);
}

}  // namespace mommy::decode
