// Finished flows into Arrow batches, on a thread of its own once a capture
// has more flows than fit in one chunk. Building a record (addresses as text,
// the Community ID, the statistics) is about a quarter of a capture's native
// work; on another core it runs beside the flow table instead of after it.
// Each capture thread (each fanout worker) has its own stage.
//
// Flows go over in chunks of kChunkFlows, copied with their payload prefixes,
// so the flow table can reuse a record at once. Batches hold the flows in the
// order they ended, whichever thread built them. A capture that never fills
// a chunk (a small file), or a machine with one core, builds on the capture
// thread and starts no thread.
//
// Every call but the destructor is made from the capture thread.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "batch/batch.h"
#include "engine/queue.h"
#include "flow/flow.h"

namespace mommy {

class BatchStage {
 public:
  BatchStage(uint32_t batch_rows, uint32_t payload_bytes, BatchQueue& queue);
  // Stops the thread; flows not handed over are dropped (a cancelled capture).
  ~BatchStage();
  BatchStage(const BatchStage&) = delete;
  BatchStage& operator=(const BatchStage&) = delete;

  // One finished flow (or interim record); `flow` may change right after.
  void add(const Flow& flow, EndReason reason);
  // Whether flows wait in a batch that is not full yet.
  bool waiting() const { return added_ % batch_rows_ != 0; }
  // Hands the flows so far over as a batch, full or not (live capture's interval).
  void hand_over();
  // Builds every flow added, calls `before_last`, then hands the last batch
  // over: whoever takes that batch sees what `before_last` did.
  void finish(const std::function<void()>& before_last);

  // Batches handed to the queue, and those it dropped (live: JS fell behind).
  uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Chunk {
    std::vector<Flow> flows;
    std::vector<EndReason> reasons;
    // Each flow's payload prefixes, forward then reverse, at prefix_at[i].
    std::vector<uint8_t> prefixes;
    std::vector<size_t> prefix_at;
    bool hand_over = false;  // push the batch so far once these are built
    void clear();
  };
  static constexpr size_t kChunkFlows = 512;
  static constexpr size_t kChunksQueued = 8;

  std::unique_ptr<Chunk> new_chunk();
  // Passes the chunk being filled to the thread (starting it the first time),
  // or builds it here when there is no thread to pass it to.
  void send(bool hand_over);
  void build(Chunk& chunk);  // on whichever thread owns the builder
  void build_here();         // the chunk being filled, on the capture thread (no thread runs)
  void push(std::unique_ptr<Batch> batch);
  void thread_main();

  const uint32_t batch_rows_;
  const uint32_t payload_bytes_;  // the table's prefix room per direction
  BatchQueue& queue_;
  BatchBuilder builder_;  // the thread's while it runs; the capture thread's before and after
  std::unique_ptr<Chunk> filling_;
  uint64_t added_ = 0;  // since the last hand-over
  const bool use_thread_;

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<Chunk>> queued_;  // to build, oldest first
  std::vector<std::unique_ptr<Chunk>> spare_;  // built, for reuse
  bool building_ = false;                      // the thread holds a chunk
  bool closing_ = false;
  std::thread thread_;

  std::atomic<uint64_t> batches_{0}, dropped_{0};
};

}  // namespace mommy
