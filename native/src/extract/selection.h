// The flows an extraction asks for: flow keys, each with the time ranges of
// its records. A key is built from a flow record's fields through the same
// make_flow_key() the flow table uses, so both directions, ICMP type/code
// pairs and VLANs match exactly as they did when the record was made. Time
// ranges matter because one 5-tuple can carry several records (port reuse,
// interim records of long flows).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "flow/key.h"

namespace mommy {

// One flow record as the flows table stores it: src/dst are the address
// strings, ports are the record's (ICMP: type and code of the first packet),
// times are microseconds since the epoch, inclusive.
struct SelectionFields {
  std::string src, dst;
  uint8_t proto = 0;
  bool arp = false;  // an ARP exchange (proto null in the record)
  uint16_t src_port = 0, dst_port = 0;
  uint16_t vlan = 0, inner_vlan = 0;
  int64_t start_us = 0, end_us = 0;
};

// The record's flow key. False (with `error` set) when the addresses are not
// two IP addresses of one family.
bool selection_key(const SelectionFields& s, FlowKey& key, std::string& error);

// Selected keys are numbered 0..keys()-1; each has its time ranges, sorted
// and merged, numbered in time order.
class SelectionSet {
 public:
  void add(const FlowKey& key, int64_t start_us, int64_t end_us);
  // Sorts and merges each key's ranges; call once after the last add().
  void finish();
  // The key's number, or -1 when it was not asked for.
  int32_t find(const FlowKey& key) const;
  // The number of the key's range holding `ts_us`, or -1.
  int32_t range_at(int32_t key, int64_t ts_us) const;
  int64_t range_end(int32_t key, int32_t range) const { return ranges_[key][range].end; }
  bool empty() const { return ranges_.empty(); }
  size_t keys() const { return ranges_.size(); }

 private:
  struct Range {
    int64_t start, end;
  };
  struct KeyHash {
    size_t operator()(const FlowKey& k) const;
  };
  std::unordered_map<FlowKey, int32_t, KeyHash> index_;
  std::vector<std::vector<Range>> ranges_;
};

}  // namespace mommy
