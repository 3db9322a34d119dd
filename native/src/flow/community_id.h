// Community ID v1 (github.com/corelight/community-id-spec): a flow hash that
// Zeek, Suricata, Wireshark and others compute identically, so that a flow
// can be found across tools.
#pragma once
#include <cstdint>
#include <string>

namespace mommy {

struct CommunityIdInput {
  uint8_t ip_version;
  uint8_t proto;
  const uint8_t* src;  // 4 or 16 bytes
  const uint8_t* dst;
  uint16_t src_port;   // ICMP: type
  uint16_t dst_port;   // ICMP: code
};

// "1:" + base64(SHA-1(seed · addrs · proto · 0 · ports)).
std::string community_id_v1(const CommunityIdInput& in, uint16_t seed = 0);

}  // namespace mommy
