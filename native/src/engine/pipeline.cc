#include "engine/pipeline.h"

namespace mommy {

namespace {
// Timestamps are clamped to [0, 2^62 ns] (years 1970-2116) so the table's
// time arithmetic cannot overflow on a crafted or broken timestamp.
constexpr int64_t kMaxTimeNs = int64_t{1} << 62;
int64_t clamp_time(int64_t t) { return t < 0 ? 0 : t > kMaxTimeNs ? kMaxTimeNs : t; }
}  // namespace

Pipeline::Pipeline(const PipelineOptions& options, BatchQueue& queue, uint64_t seed)
    : opt_(options),
      table_(opt_.flow, *this, seed),
      batches_(opt_.batch_rows, opt_.flow.payload_bytes, queue) {}

void Pipeline::frame(const Frame& f) {
  PreparedPacket p;
  if (prepare(f, p)) account(p);
}

uint64_t Pipeline::read_file(CaptureReader& reader, const std::atomic<bool>& stop,
                             const std::function<void()>& progress) {
  // kDepth frames in flight, so that memory latency overlaps with work: the
  // newest frame is decoded and its hash slot requested; the one half-way
  // along, whose slot has arrived by then, has its flow requested; the
  // oldest, whose flow has arrived, is accounted. (Prefetching one frame
  // ahead left both loads missing the cache at a few hundred thousand
  // flows.) The reader keeps the bytes of its last kDepth frames.
  constexpr int kDepth = CaptureReader::kFramesKept;
  constexpr int kFlowAhead = kDepth / 2;
  constexpr uint64_t kProgressEvery = 1 << 16;
  Frame frames[kDepth];
  PreparedPacket prepared[kDepth];
  bool ready[kDepth] = {};
  int head = 0, count = 0;
  bool more = true;
  uint64_t n = 0;
  auto wrap = [](int i) { return i >= kDepth ? i - kDepth : i; };
  while (count > 0 || (more && !stop)) {
    while (more && !stop && count < kDepth) {
      const int slot = wrap(head + count);
      more = reader.next(frames[slot]);
      if (!more) break;
      ready[slot] = prepare(frames[slot], prepared[slot]);
      ++count;
      if ((++n & (kProgressEvery - 1)) == 0) progress();
    }
    if (count == 0) break;
    const int ahead = wrap(head + kFlowAhead);
    if (count > kFlowAhead && ready[ahead]) prefetch_flow(prepared[ahead]);
    if (ready[head]) account(prepared[head]);
    head = wrap(head + 1);
    --count;
  }
  return n;
}

bool Pipeline::prepare(const Frame& f, PreparedPacket& p) {
  const int64_t ts = clamp_time(f.ts_ns);
  ++stats_.packets;
  stats_.bytes += f.wirelen;
  if (stats_.packets == 1 || ts < stats_.first_ts_ns) stats_.first_ts_ns = ts;
  if (ts > stats_.last_ts_ns) stats_.last_ts_ns = ts;

  Decoded& d = p.decoded;
  Anomaly why = decode_frame(f, d);
  if (why == Anomaly::ok && d.fragment && !fragments_.resolve(d, ts)) why = Anomaly::fragment_orphan;
  if (why != Anomaly::ok) {
    ++stats_.skipped;
    ++stats_.skipped_by[static_cast<int>(why)];
    return false;
  }
  ++stats_.decoded;
  p.ts_ns = ts;
  table_.prepare(d, p.lookup);
  return true;
}

void Pipeline::on_flow(const Flow& flow, EndReason reason) {
  ++stats_.flows;
  batches_.add(flow, reason);
}

void Pipeline::tick(int64_t now_ns) {
  table_.advance(clamp_time(now_ns));
  if (batches_.waiting() && now_ns - last_hand_over_ns_ >= opt_.batch_interval_ns) {
    batches_.hand_over();
    last_hand_over_ns_ = now_ns;
  }
}

void Pipeline::finish(EndReason reason, const std::function<void()>& before_last) {
  table_.flush(reason);
  batches_.finish(before_last);
}

void Pipeline::set_pcap_stats(uint64_t recv, uint64_t drop, uint64_t ifdrop) {
  stats_.ps_recv = recv;
  stats_.ps_drop = drop;
  stats_.ps_ifdrop = ifdrop;
}

void Pipeline::publish(CaptureStats& out, std::mutex& mu) {
  const FlowTableCounters& c = table_.counters();
  stats_.flows_created = c.flows_created;
  stats_.evictions = c.evictions;
  stats_.active_flows = table_.active();
  stats_.memory_bytes = table_.memory_bytes();
  stats_.batches = batches_.batches();
  stats_.batches_dropped = batches_.dropped();
  std::lock_guard<std::mutex> lock(mu);
  out = stats_;
}

}  // namespace mommy
