#include "engine/stats.h"

namespace mommy {

void CaptureStats::add(const CaptureStats& o) {
  packets += o.packets;
  bytes += o.bytes;
  decoded += o.decoded;
  skipped += o.skipped;
  for (int i = 0; i <= kAnomalyCount; ++i) skipped_by[i] += o.skipped_by[i];
  flows += o.flows;
  flows_created += o.flows_created;
  evictions += o.evictions;
  active_flows += o.active_flows;
  memory_bytes += o.memory_bytes;
  batches += o.batches;
  batches_dropped += o.batches_dropped;
  if (o.packets) {
    if (!first_ts_ns || (o.first_ts_ns && o.first_ts_ns < first_ts_ns)) first_ts_ns = o.first_ts_ns;
    if (o.last_ts_ns > last_ts_ns) last_ts_ns = o.last_ts_ns;
  }
  ps_recv += o.ps_recv;
  ps_drop += o.ps_drop;
  ps_ifdrop += o.ps_ifdrop;
}

}  // namespace mommy
