#include "flow/key.h"

namespace mommy {

bool icmp_counterpart(uint8_t ip_version, uint8_t type, uint8_t& counterpart) {
  if (ip_version == 4) {
    switch (type) {
      case 8: counterpart = 0; return true;    // echo -> echo reply
      case 0: counterpart = 8; return true;
      case 13: counterpart = 14; return true;  // timestamp
      case 14: counterpart = 13; return true;
      case 15: counterpart = 16; return true;  // information
      case 16: counterpart = 15; return true;
      case 10: counterpart = 9; return true;   // router solicitation
      case 9: counterpart = 10; return true;
      case 17: counterpart = 18; return true;  // address mask
      case 18: counterpart = 17; return true;
      default: return false;
    }
  }
  switch (type) {
    case 128: counterpart = 129; return true;  // echo
    case 129: counterpart = 128; return true;
    case 133: counterpart = 134; return true;  // router solicitation
    case 134: counterpart = 133; return true;
    case 135: counterpart = 136; return true;  // neighbor solicitation
    case 136: counterpart = 135; return true;
    case 130: counterpart = 131; return true;  // multicast listener query
    case 131: counterpart = 130; return true;
    case 139: counterpart = 140; return true;  // node information
    case 140: counterpart = 139; return true;
    case 144: counterpart = 145; return true;  // home agent address discovery
    case 145: counterpart = 144; return true;
    default: return false;
  }
}

void key_ports(const Decoded& d, uint16_t& sport, uint16_t& dport, bool& one_way) {
  one_way = false;
  sport = d.src_port;
  dport = d.dst_port;
  if (d.proto == 1 || d.proto == 58) {
    uint8_t other;
    if (icmp_counterpart(d.ip_version, static_cast<uint8_t>(d.src_port), other)) dport = other;
    else one_way = true;
  }
}

void make_flow_key(const Decoded& d, FlowKey& key, bool& src_is_lo) {
  std::memset(&key, 0, sizeof key);
  uint16_t sport, dport;
  bool one_way;
  key_ports(d, sport, dport, one_way);
  const int cmp = std::memcmp(d.src, d.dst, 16);
  src_is_lo = cmp < 0 || (cmp == 0 && sport <= dport);
  if (src_is_lo) {
    std::memcpy(key.addr_lo, d.src, 16);
    std::memcpy(key.addr_hi, d.dst, 16);
    key.port_lo = sport;
    key.port_hi = dport;
  } else {
    std::memcpy(key.addr_lo, d.dst, 16);
    std::memcpy(key.addr_hi, d.src, 16);
    key.port_lo = dport;
    key.port_hi = sport;
  }
  key.vlan = d.vlan;
  key.inner_vlan = d.inner_vlan;
  key.proto = d.proto;
  key.ip_version = d.ip_version;
  key.arp = d.arp ? 1 : 0;
}

namespace {
uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// 64x64->128 multiply folded to 64 bits (as in wyhash).
inline uint64_t mum(uint64_t a, uint64_t b) {
  const __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
}  // namespace

HashSecret HashSecret::from_seed(uint64_t seed) {
  HashSecret s;
  // Odd, so no multiplier is ever zero whatever the seed.
  for (uint64_t& k : s.k) k = splitmix64(seed) | 1;
  return s;
}

uint64_t hash_flow_key(const FlowKey& key, const HashSecret& s) {
  uint64_t w[6];
  std::memcpy(w, &key, sizeof w);
  // Three independent multiplies (they run in parallel), then one to mix
  // them; secrets derived from a random seed keep collisions from being
  // computed in advance (hash flooding).
  const uint64_t a = mum(w[0] ^ s.k[0], w[1] ^ s.k[1]);
  const uint64_t b = mum(w[2] ^ s.k[2], w[3] ^ s.k[3]);
  const uint64_t c = mum(w[4] ^ s.k[4], w[5] ^ s.k[5]);
  return mum(a ^ b ^ c, s.k[6]);
}

}  // namespace mommy
