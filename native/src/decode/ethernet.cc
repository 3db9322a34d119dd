// Ethernet II and the EtherType dispatch table shared by every link layer
// that ends in an EtherType.
#include "decode/layers.h"

namespace mommy::decode {

namespace ether {
constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kIpv6 = 0x86DD;
constexpr uint16_t kVlan = 0x8100;      // 802.1Q
constexpr uint16_t kQinq = 0x88A8;      // 802.1ad
constexpr uint16_t kQinqOld1 = 0x9100;  // pre-standard QinQ
constexpr uint16_t kQinqOld2 = 0x9200;
constexpr uint16_t kMplsUc = 0x8847;
constexpr uint16_t kMplsMc = 0x8848;
constexpr uint16_t kPppoeSession = 0x8864;
constexpr uint16_t kArp = 0x0806;
}  // namespace ether

constexpr uint32_t kEthernetHeader = 14;

Anomaly ethernet(Layer in, Decoded& out) {
  if (in.cap < kEthernetHeader) return Anomaly::link_truncated;
  return ethertype(be16(in.p + 12), in.advance(kEthernetHeader), out, 0);
}

Anomaly ethertype(uint16_t type, Layer in, Decoded& out, int depth) {
  if (depth > kMaxLinkLayers) return Anomaly::vlan_too_deep;
  switch (type) {
    case ether::kIpv4: return ipv4(in, out);
    case ether::kIpv6: return ipv6(in, out);
    case ether::kVlan:
    case ether::kQinq:
    case ether::kQinqOld1:
    case ether::kQinqOld2: return vlan(in, out, depth + 1);
    case ether::kMplsUc:
    case ether::kMplsMc: return mpls(in, out, depth + 1);
    case ether::kPppoeSession: return pppoe_session(in, out);
    case ether::kArp: return arp(in, out);
    default: return Anomaly::not_ip;  // LLDP, 802.3 length field, ...
  }
}

}  // namespace mommy::decode
