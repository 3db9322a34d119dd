#include "extract/selection.h"

#include <arpa/inet.h>

#include <algorithm>

namespace mommy {

namespace {
// Parses `text` as an address of `family`; IPv4 fills the first 4 bytes.
bool parse(const std::string& text, int family, uint8_t out[16]) {
  std::memset(out, 0, 16);
  return inet_pton(family, text.c_str(), out) == 1;
}
}  // namespace

bool selection_key(const SelectionFields& s, FlowKey& key, std::string& error) {
  Decoded d;
  if (parse(s.src, AF_INET, d.src) && parse(s.dst, AF_INET, d.dst)) {
    d.ip_version = 4;
  } else if (parse(s.src, AF_INET6, d.src) && parse(s.dst, AF_INET6, d.dst)) {
    d.ip_version = 6;
  } else {
    error = "src and dst must be IP addresses of one family (got '" + s.src + "' and '" + s.dst + "')";
    return false;
  }
  d.proto = s.proto;
  d.arp = s.arp;
  d.src_port = s.src_port;  // ICMP: the type; key_ports() maps it as for a packet
  d.dst_port = s.dst_port;  // ICMP: the code
  d.has_ports = true;
  d.vlan = s.vlan;
  d.inner_vlan = s.inner_vlan;
  bool src_is_lo;
  make_flow_key(d, key, src_is_lo);
  return true;
}

size_t SelectionSet::KeyHash::operator()(const FlowKey& k) const {
  static const HashSecret secret = HashSecret::from_seed(0x6578747261637421ull);
  return static_cast<size_t>(hash_flow_key(k, secret));
}

void SelectionSet::add(const FlowKey& key, int64_t start_us, int64_t end_us) {
  if (end_us < start_us) std::swap(start_us, end_us);
  const auto [it, added] = index_.emplace(key, static_cast<int32_t>(ranges_.size()));
  if (added) ranges_.emplace_back();
  ranges_[it->second].push_back(Range{start_us, end_us});
}

void SelectionSet::finish() {
  for (std::vector<Range>& list : ranges_) {
    std::sort(list.begin(), list.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
    std::vector<Range> merged;
    for (const Range& r : list) {
      if (!merged.empty() && r.start <= merged.back().end) merged.back().end = std::max(merged.back().end, r.end);
      else merged.push_back(r);
    }
    list = std::move(merged);
  }
}

int32_t SelectionSet::find(const FlowKey& key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? -1 : it->second;
}

int32_t SelectionSet::range_at(int32_t key, int64_t ts_us) const {
  const std::vector<Range>& list = ranges_[key];
  // The last range starting at or before ts_us is the only candidate.
  auto after = std::upper_bound(list.begin(), list.end(), ts_us,
                                [](int64_t t, const Range& r) { return t < r.start; });
  if (after == list.begin() || ts_us > std::prev(after)->end) return -1;
  return static_cast<int32_t>(std::prev(after) - list.begin());
}

}  // namespace mommy
