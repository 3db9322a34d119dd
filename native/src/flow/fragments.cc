#include "flow/fragments.h"

#include <cstring>

namespace mommy {

bool FragmentTracker::Key::operator==(const Key& o) const { return std::memcmp(this, &o, sizeof *this) == 0; }

size_t FragmentTracker::KeyHash::operator()(const Key& k) const {
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a: few entries, short keys
  const auto* p = reinterpret_cast<const uint8_t*>(&k);
  for (size_t i = 0; i < sizeof k; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
  return static_cast<size_t>(h);
}

FragmentTracker::Key FragmentTracker::key_of(const Decoded& d) {
  Key k;
  std::memset(&k, 0, sizeof k);
  std::memcpy(k.src, d.src, 16);
  std::memcpy(k.dst, d.dst, 16);
  k.id = d.frag_id;
  k.proto = d.proto;
  k.version = d.ip_version;
  return k;
}

void FragmentTracker::expire(int64_t clock_ns) {
  while (!order_.empty() &&
         (order_.front().first + kLifetimeNs < clock_ns || order_.size() > kMaxEntries)) {
    ports_.erase(order_.front().second);
    order_.pop_front();
  }
}

bool FragmentTracker::resolve(Decoded& d, int64_t clock_ns) {
  expire(clock_ns);
  const Key k = key_of(d);
  if (d.first_fragment) {
    if (d.has_ports && ports_.emplace(k, Ports{d.src_port, d.dst_port}).second)
      order_.emplace_back(clock_ns, k);
    return true;
  }
  const bool ported = d.proto == 6 || d.proto == 17 || d.proto == 132 || d.proto == 1 || d.proto == 58;
  if (!ported) return true;  // nothing to attribute: the flow key has no ports
  const auto it = ports_.find(k);
  if (it == ports_.end()) return false;
  d.src_port = it->second.src;
  d.dst_port = it->second.dst;
  d.has_ports = true;
  return true;
}

}  // namespace mommy
