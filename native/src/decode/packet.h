// What the decoder reads (one captured frame) and what it produces (the fields
// the flow table needs). No pointers into the result outlive the frame.
#pragma once
#include <cstdint>
#include <cstring>

#include "decode/anomaly.h"

namespace mommy {

// Link types we decode, by their LINKTYPE_ number (tcpdump.org/linktypes.html).
namespace linktype {
constexpr uint32_t kNull = 0;        // BSD loopback, family in host order
constexpr uint32_t kEthernet = 1;
constexpr uint32_t kPpp = 9;
constexpr uint32_t kRawAlt12 = 12;   // DLT_RAW on some BSDs
constexpr uint32_t kRawAlt14 = 14;   // DLT_RAW on OpenBSD
constexpr uint32_t kPppEther = 51;   // PPPoE without Ethernet
constexpr uint32_t kRaw = 101;
constexpr uint32_t kLoop = 108;      // OpenBSD loopback, family in network order
constexpr uint32_t kLinuxSll = 113;
constexpr uint32_t kIpv4 = 228;
constexpr uint32_t kIpv6 = 229;
constexpr uint32_t kPpi = 192;       // Per-Packet Information header, then another link type
constexpr uint32_t kNflog = 239;
constexpr uint32_t kLinuxSll2 = 276;
}  // namespace linktype

struct Frame {
  int64_t ts_ns = 0;
  uint32_t caplen = 0;    // bytes present in data
  uint32_t wirelen = 0;   // bytes on the wire (>= caplen)
  uint32_t linktype = 0;
  const uint8_t* data = nullptr;
};

// A span of bytes still to decode: what was captured, and what was on the wire.
// Lengths taken from headers are checked against `wire` (is the packet
// consistent?) and bytes are only read within `cap` (were they captured?).
struct Layer {
  const uint8_t* p;
  uint32_t cap;
  uint32_t wire;

  Layer advance(uint32_t n) const {
    return Layer{p + n, cap - n, wire > n ? wire - n : 0};
  }
};

inline uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t be32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}
inline uint16_t le16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t le32(const uint8_t* p) {
  return p[0] | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

namespace tcpflag {
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                  kUrg = 0x20, kEce = 0x40, kCwr = 0x80;
}

struct Decoded {
  uint8_t ip_version = 0;      // 4 or 6
  uint8_t proto = 0;           // IANA protocol number of the transport
  uint8_t ttl = 0;             // IPv4 TTL or IPv6 hop limit
  uint8_t tcp_flags = 0;
  uint8_t vlan_depth = 0;
  bool has_ports = false;      // a TCP/UDP/ICMP header was decoded
  bool fragment = false;       // part of a fragmented datagram
  bool first_fragment = false; // offset 0 (carries the transport header)
  bool arp = false;            // an ARP request or reply: src and dst are the sender's and target's IPv4 addresses, proto 0
  uint16_t vlan = 0;           // outer 802.1Q/802.1ad VLAN ID, 0 = none
  uint16_t inner_vlan = 0;     // second tag (QinQ), 0 = none
  uint16_t src_port = 0;       // ICMP: type
  uint16_t dst_port = 0;       // ICMP: code
  uint32_t frag_id = 0;        // IPv4 identification or IPv6 fragment id
  uint32_t ip_bytes = 0;       // IP header + payload as the IP header says
  uint32_t payload_len = 0;    // transport payload length as the headers say
  uint32_t payload_cap = 0;    // of which were captured
  const uint8_t* payload = nullptr;
  uint8_t src[16] = {};        // IPv4 uses the first 4 bytes, the rest stay 0
  uint8_t dst[16] = {};
};

// Decode one frame of the given link type. Returns Anomaly::ok when `out`
// holds an IP packet worth a flow; otherwise the reason it does not.
Anomaly decode_frame(const Frame& frame, Decoded& out);

}  // namespace mommy
