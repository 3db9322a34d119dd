// The bounded hand-off between capture threads and the JS thread. Files wait
// when it is full (the reader goes as fast as JS consumes); live capture never
// waits on it, because a waiting capture thread lets the kernel ring overflow:
// a full queue there drops the batch and counts it.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "batch/batch.h"

namespace mommy {

class BatchQueue {
 public:
  BatchQueue(size_t depth, bool drop_when_full) : depth_(depth ? depth : 1), drop_(drop_when_full) {}

  // False when the batch was not queued (dropped, or the consumer is gone).
  bool push(std::unique_ptr<Batch> batch);
  // Next batch, waiting for one; null once every producer has finished (or
  // the queue was cancelled) and nothing is left.
  std::unique_ptr<Batch> pop();
  // Next batch if one is ready; never waits. `ended` tells whether no batch
  // will ever come.
  std::unique_ptr<Batch> try_pop(bool& ended);
  // Called on the producer's thread, outside the lock, whenever a batch
  // arrives or production ends. Set it before producers start.
  void set_listener(std::function<void()> listener) { listener_ = std::move(listener); }
  void add_producer();
  void producer_done();
  // The consumer is gone: wake and stop producers.
  void cancel();
  bool cancelled() const;
  uint64_t dropped() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  void notify() const {
    if (listener_) listener_();
  }

  std::deque<std::unique_ptr<Batch>> items_;
  std::function<void()> listener_;
  size_t depth_;
  bool drop_;
  int producers_ = 0;
  bool cancelled_ = false;
  uint64_t dropped_ = 0;
};

}  // namespace mommy
