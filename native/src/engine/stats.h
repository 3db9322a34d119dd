// Running counters of one capture, published by the capture threads and read
// by JavaScript at any time.
#pragma once
#include <cstdint>

#include "decode/anomaly.h"

namespace mommy {

struct CaptureStats {
  uint64_t packets = 0;        // frames read
  uint64_t bytes = 0;          // their wire length
  uint64_t decoded = 0;        // frames that became part of a flow
  uint64_t skipped = 0;        // frames refused by the decoder (sum of skipped_by)
  uint64_t skipped_by[kAnomalyCount + 1] = {};
  uint64_t flows = 0;          // records emitted (finished flows and interim records)
  uint64_t flows_created = 0;
  uint64_t evictions = 0;
  uint64_t active_flows = 0;
  uint64_t memory_bytes = 0;   // flow tables
  uint64_t batches = 0;
  uint64_t batches_dropped = 0;  // live only: JS fell behind
  int64_t first_ts_ns = 0, last_ts_ns = 0;
  // libpcap's pcap_stats, summed over workers (live only).
  uint64_t ps_recv = 0, ps_drop = 0, ps_ifdrop = 0;

  void add(const CaptureStats& o);
};

}  // namespace mommy
