#include "engine/batch_stage.h"

#include <cstring>

namespace mommy {

namespace {
constexpr size_t kNoPrefix = SIZE_MAX;
}

void BatchStage::Chunk::clear() {
  flows.clear();
  reasons.clear();
  prefixes.clear();
  prefix_at.clear();
  hand_over = false;
}

BatchStage::BatchStage(uint32_t batch_rows, uint32_t payload_bytes, BatchQueue& queue)
    : batch_rows_(batch_rows ? batch_rows : 1),
      payload_bytes_(payload_bytes),
      queue_(queue),
      builder_(batch_rows_),
      use_thread_(std::thread::hardware_concurrency() > 1) {}

BatchStage::~BatchStage() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    queued_.clear();
    changed_.notify_all();
  }
  thread_.join();
}

std::unique_ptr<BatchStage::Chunk> BatchStage::new_chunk() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!spare_.empty()) {
      auto chunk = std::move(spare_.back());
      spare_.pop_back();
      return chunk;
    }
  }
  auto chunk = std::make_unique<Chunk>();
  chunk->flows.reserve(kChunkFlows);
  chunk->reasons.reserve(kChunkFlows);
  chunk->prefix_at.reserve(kChunkFlows);
  return chunk;
}

void BatchStage::add(const Flow& flow, EndReason reason) {
  if (!filling_) filling_ = new_chunk();
  Chunk& c = *filling_;
  c.flows.push_back(flow);
  c.reasons.push_back(reason);
  if (flow.prefix) {
    // The table keeps each direction's prefix in room of its own; here they
    // are packed, so a chunk holds only the bytes that were seen.
    const size_t at = c.prefixes.size();
    const size_t fwd = flow.prefix_len[0], rev = flow.prefix_len[1];
    c.prefixes.resize(at + fwd + rev);
    std::memcpy(c.prefixes.data() + at, flow.prefix, fwd);
    std::memcpy(c.prefixes.data() + at + fwd, flow.prefix + payload_bytes_, rev);
    c.prefix_at.push_back(at);
  } else {
    c.prefix_at.push_back(kNoPrefix);
  }
  ++added_;
  if (c.flows.size() == kChunkFlows) send(false);
}

void BatchStage::hand_over() {
  send(true);
  added_ = 0;
}

void BatchStage::send(bool hand_over) {
  if (!filling_) filling_ = new_chunk();
  filling_->hand_over = hand_over;
  // The thread starts with the first full chunk: a capture with fewer flows
  // than that is over before a thread would have paid for itself.
  const bool full = filling_->flows.size() == kChunkFlows;
  if (!thread_.joinable() && (!use_thread_ || !full)) return build_here();
  if (!thread_.joinable()) thread_ = std::thread(&BatchStage::thread_main, this);
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return queued_.size() < kChunksQueued; });
  queued_.push_back(std::move(filling_));
  changed_.notify_all();
}

void BatchStage::finish(const std::function<void()>& before_last) {
  if (thread_.joinable()) {
    if (filling_ && !filling_->flows.empty()) send(false);
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return queued_.empty() && !building_; });
  } else if (filling_) {
    build_here();
  }
  // The thread is idle now: the builder is this thread's (the mutex above
  // orders its last writes before these reads).
  if (before_last) before_last();
  push(builder_.take());
}

void BatchStage::build_here() {
  build(*filling_);
  filling_->clear();  // kept: the next flows fill it again
}

void BatchStage::build(Chunk& chunk) {
  for (size_t i = 0; i < chunk.flows.size(); ++i) {
    PayloadPrefixes prefixes{{nullptr, nullptr}};
    if (chunk.prefix_at[i] != kNoPrefix) {
      const uint8_t* at = chunk.prefixes.data() + chunk.prefix_at[i];
      prefixes = {{at, at + chunk.flows[i].prefix_len[0]}};
    }
    if (builder_.append(chunk.flows[i], chunk.reasons[i], prefixes)) push(builder_.take());
  }
  if (chunk.hand_over) push(builder_.take());
}

void BatchStage::push(std::unique_ptr<Batch> batch) {
  if (!batch) return;
  batches_.fetch_add(1, std::memory_order_relaxed);
  if (!queue_.push(std::move(batch))) dropped_.fetch_add(1, std::memory_order_relaxed);
}

void BatchStage::thread_main() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return closing_ || !queued_.empty(); });
    if (queued_.empty()) return;
    auto chunk = std::move(queued_.front());
    queued_.pop_front();
    building_ = true;
    changed_.notify_all();  // room to queue another
    lock.unlock();
    build(*chunk);
    chunk->clear();
    lock.lock();
    building_ = false;
    spare_.push_back(std::move(chunk));
    changed_.notify_all();
  }
}

}  // namespace mommy
