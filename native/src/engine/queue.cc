#include "engine/queue.h"

namespace mommy {

bool BatchQueue::push(std::unique_ptr<Batch> batch) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (drop_) {
      if (cancelled_ || items_.size() >= depth_) {
        ++dropped_;
        return false;
      }
    } else {
      not_full_.wait(lock, [&] { return cancelled_ || items_.size() < depth_; });
      if (cancelled_) return false;
    }
    items_.push_back(std::move(batch));
    not_empty_.notify_one();
  }
  notify();
  return true;
}

std::unique_ptr<Batch> BatchQueue::try_pop(bool& ended) {
  std::lock_guard<std::mutex> lock(mu_);
  if (items_.empty()) {
    ended = cancelled_ || producers_ == 0;
    return nullptr;
  }
  ended = false;
  auto batch = std::move(items_.front());
  items_.pop_front();
  not_full_.notify_one();
  return batch;
}

std::unique_ptr<Batch> BatchQueue::pop() {
  std::unique_lock<std::mutex> lock(mu_);
  not_empty_.wait(lock, [&] { return cancelled_ || !items_.empty() || producers_ == 0; });
  if (items_.empty()) return nullptr;
  auto batch = std::move(items_.front());
  items_.pop_front();
  not_full_.notify_one();
  return batch;
}

void BatchQueue::add_producer() {
  std::lock_guard<std::mutex> lock(mu_);
  ++producers_;
}

void BatchQueue::producer_done() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --producers_;
    not_empty_.notify_all();
  }
  notify();
}

void BatchQueue::cancel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    items_.clear();
    not_full_.notify_all();
    not_empty_.notify_all();
  }
  notify();
}

bool BatchQueue::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

uint64_t BatchQueue::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

}  // namespace mommy
