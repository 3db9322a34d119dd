// IP fragments: only the first fragment carries the transport header. Its
// ports are remembered under (addresses, protocol, fragment id) so that later
// fragments are attributed to the same flow. Bounded in entries and time.
#pragma once
#include <cstdint>
#include <deque>
#include <unordered_map>

#include "decode/packet.h"

namespace mommy {

class FragmentTracker {
 public:
  static constexpr size_t kMaxEntries = 65536;
  static constexpr int64_t kLifetimeNs = 60'000'000'000;  // RFC 791's reassembly bound

  // First fragment: remember its ports. Later fragment: fill in the ports
  // and return true, or false when its first fragment was never seen.
  bool resolve(Decoded& d, int64_t clock_ns);

 private:
  struct Key {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint8_t proto, version;
    uint8_t pad[2];
    bool operator==(const Key& o) const;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Ports {
    uint16_t src, dst;
  };
  static Key key_of(const Decoded& d);
  void expire(int64_t clock_ns);

  std::unordered_map<Key, Ports, KeyHash> ports_;
  std::deque<std::pair<int64_t, Key>> order_;  // insertion time, for expiry
};

}  // namespace mommy
