// The bidirectional flow key: both directions of a conversation produce the
// same key because the endpoints are stored in order (smaller address/port
// first), as Suricata's FlowGetHash does. The key is zero-filled so it can be
// hashed and compared as raw words; VLAN IDs are part of it.
#pragma once
#include <cstdint>
#include <cstring>

#include "decode/packet.h"

namespace mommy {

struct FlowKey {
  uint8_t addr_lo[16];
  uint8_t addr_hi[16];
  uint16_t port_lo;
  uint16_t port_hi;
  uint16_t vlan;
  uint16_t inner_vlan;
  uint8_t proto;
  uint8_t ip_version;
  uint8_t arp;  // 1: an ARP exchange (proto 0 then means no IP protocol)
  uint8_t pad[5];

  bool operator==(const FlowKey& o) const { return std::memcmp(this, &o, sizeof *this) == 0; }
};
static_assert(sizeof(FlowKey) == 48, "FlowKey is hashed as six 64-bit words");

// ICMP and ICMPv6 request/reply pairs map to each other, so that an echo and
// its reply are one flow; the same table Community ID v1 uses. Returns false
// for one-way messages (then `counterpart` is untouched).
bool icmp_counterpart(uint8_t ip_version, uint8_t type, uint8_t& counterpart);

// The (src port, dst port) a packet contributes to the key: ports for
// TCP/UDP/SCTP; for ICMP the type and either its counterpart type or the code.
void key_ports(const Decoded& d, uint16_t& sport, uint16_t& dport, bool& one_way);

// Builds the key for a decoded packet. `src_is_lo` tells whether the packet's
// source is the key's first endpoint.
void make_flow_key(const Decoded& d, FlowKey& key, bool& src_is_lo);

// Per-table secret of the key hash, derived from a random seed.
struct HashSecret {
  uint64_t k[7];
  static HashSecret from_seed(uint64_t seed);
};

uint64_t hash_flow_key(const FlowKey& key, const HashSecret& secret);

}  // namespace mommy
