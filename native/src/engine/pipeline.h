// One capture thread's work: decode each frame, attribute fragments, account
// the packet in the flow table, and pass finished flows on to be built into
// batch rows (engine/batch_stage.h: on a thread of its own once there are
// enough of them). Nothing here touches N-API; it builds and runs without Node.
#pragma once
#include <cstdint>
#include <mutex>

#include <atomic>
#include <functional>

#include "capture/reader.h"
#include "decode/packet.h"
#include "engine/batch_stage.h"
#include "engine/queue.h"
#include "engine/stats.h"
#include "flow/fragments.h"
#include "flow/table.h"

namespace mommy {

struct PipelineOptions {
  FlowOptions flow;
  uint32_t batch_rows = 16384;
  // Live: a batch with rows is handed over at least this often.
  int64_t batch_interval_ns = 1'000'000'000;
};

// A frame decoded and ready for the flow table.
struct PreparedPacket {
  Decoded decoded;
  FlowLookup lookup;
  int64_t ts_ns;
};

class Pipeline final : public FlowSink {
 public:
  Pipeline(const PipelineOptions& options, BatchQueue& queue, uint64_t seed);

  // One frame, start to end.
  void frame(const Frame& f);
  // Every frame of `reader` until its end, an error, or `stop`; calls
  // `progress` every 65 536 frames. Returns the frames read.
  uint64_t read_file(CaptureReader& reader, const std::atomic<bool>& stop, const std::function<void()>& progress);
  // Live capture: move the clock to `now_ns` (wall clock) and hand over a
  // partly filled batch when the interval has passed.
  void tick(int64_t now_ns);
  // End of input: end every open flow and hand over the last batch, calling
  // `before_last` just before that batch goes (whoever takes it then sees
  // what `before_last` did).
  void finish(EndReason reason, const std::function<void()>& before_last = {});
  // Copies the counters into `out` (called from this thread, under `mu`).
  void publish(CaptureStats& out, std::mutex& mu);
  // Live: libpcap's counters for this worker's handle.
  void set_pcap_stats(uint64_t recv, uint64_t drop, uint64_t ifdrop);

  void on_flow(const Flow& flow, EndReason reason) override;

 private:
  // frame() in steps, so read_file() can prepare later frames (and have
  // their hash slots and flows loaded) before accounting this one. prepare() is
  // false for a frame the decoder refused (it is counted).
  bool prepare(const Frame& f, PreparedPacket& p);
  void account(const PreparedPacket& p) { table_.packet(p.decoded, p.lookup, p.ts_ns); }
  void prefetch_flow(const PreparedPacket& p) const { table_.prefetch_flow(p.lookup); }

  PipelineOptions opt_;
  FragmentTracker fragments_;
  FlowTable table_;
  BatchStage batches_;
  CaptureStats stats_;
  int64_t last_hand_over_ns_ = 0;
};

}  // namespace mommy
