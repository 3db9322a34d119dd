// 802.1Q / 802.1ad tags. The first two VLAN IDs become part of the flow key
// (outer, inner), as Zeek's vlan/inner_vlan; deeper tags are decoded through.
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kVlanTag = 4;

Anomaly vlan(Layer in, Decoded& out, int depth) {
  if (in.cap < kVlanTag) return Anomaly::vlan_truncated;
  if (out.vlan_depth >= kMaxVlanTags) return Anomaly::vlan_too_deep;
  const uint16_t vid = be16(in.p) & 0x0FFF;
  if (out.vlan_depth == 0) out.vlan = vid;
  else if (out.vlan_depth == 1) out.inner_vlan = vid;
  ++out.vlan_depth;
  return ethertype(be16(in.p + 2), in.advance(kVlanTag), out, depth);
}

}  // namespace mommy::decode
