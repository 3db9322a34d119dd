// A running capture: one or more worker threads, each with its own pipeline
// (decoder, flow table, batch stage with its own thread once flows are
// many), feeding one bounded queue that the JS thread drains. Failures on a
// worker are recorded, never thrown there; JavaScript reads them once the
// batches are drained.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "capture/reader.h"
#include "engine/pipeline.h"
#include "engine/queue.h"
#include "engine/stats.h"

typedef struct pcap pcap_t;

namespace mommy {

struct CaptureFailure {
  std::string code;     // stable: "truncated", "corrupt", "no_such_device", ...
  std::string message;  // human text, names the file or interface
  int64_t offset = -1;  // byte offset in the capture file, -1 when not a file
};

class Capture {
 public:
  virtual ~Capture();
  void start();
  // Finish early: every open flow is flushed and delivered, then the end.
  void stop();
  // The consumer is gone: stop and drop what is not yet delivered.
  void cancel();
  // Blocks until a batch is ready; null at the end.
  std::unique_ptr<Batch> next() { return queue_.pop(); }
  // A batch if one is ready, without waiting; see BatchQueue::try_pop.
  std::unique_ptr<Batch> try_next(bool& ended) { return queue_.try_pop(ended); }
  // Called from capture threads when a batch is ready or the capture ended.
  // Set before start().
  void set_listener(std::function<void()> listener) { queue_.set_listener(std::move(listener)); }
  CaptureStats stats() const;
  // Empty code when the capture ended cleanly (valid once next() gave null).
  CaptureFailure failure() const;
  // Every worker has flushed its flows: what is left is in the queue.
  bool finished() const { return finished_workers_.load() == workers_; }

 protected:
  Capture(const PipelineOptions& options, size_t queue_depth, bool live, int workers);
  virtual void run(int worker, Pipeline& pipeline) = 0;
  void publish(int worker, Pipeline& pipeline);
  void fail(std::string code, std::string message, int64_t offset = -1);
  void join();
  bool queue_cancelled() const { return queue_.cancelled(); }

  std::atomic<bool> stop_{false};

 private:
  void worker_main(int worker);

  PipelineOptions options_;
  BatchQueue queue_;
  int workers_;
  std::vector<std::thread> threads_;
  std::atomic<int> finished_workers_{0};
  mutable std::mutex stats_mu_;
  std::vector<CaptureStats> worker_stats_;
  mutable std::mutex failure_mu_;
  CaptureFailure failure_;
};

struct FileInfo {
  std::string format;
  bool compressed = false;
  std::vector<uint32_t> linktypes;
  uint64_t bytes_read = 0;       // of the (decompressed) stream
  uint64_t file_bytes_read = 0;  // of the file: compressed bytes for gzip
};

class FileCapture final : public Capture {
 public:
  // Reads the file header now, so a missing file or a file that is not a
  // capture is reported at once. Null on failure, with `failure` set.
  static std::unique_ptr<FileCapture> open(const std::string& path, const PipelineOptions& options,
                                           size_t queue_depth, CaptureFailure& failure);
  ~FileCapture() override;
  FileInfo info() const;

 private:
  FileCapture(std::unique_ptr<CaptureReader> reader, std::string path,
              const PipelineOptions& options, size_t queue_depth);
  void run(int worker, Pipeline& pipeline) override;

  std::unique_ptr<CaptureReader> reader_;
  std::string path_;
  mutable std::mutex info_mu_;
  FileInfo info_;
};

struct LiveOptions {
  std::string interface;
  std::string filter;         // BPF, tcpdump syntax; empty = everything
  int snaplen = 262144;
  bool promisc = true;
  int buffer_bytes = 32 << 20;  // kernel ring per worker
  bool immediate = false;       // note: makes libpcap use TPACKET_V2
  int workers = 1;              // >1: PACKET_FANOUT, split by a symmetric address hash
};

class LiveCapture final : public Capture {
 public:
  static std::unique_ptr<LiveCapture> open(const LiveOptions& live, const PipelineOptions& options,
                                           size_t queue_depth, CaptureFailure& failure);
  ~LiveCapture() override;
  int linktype() const;

 private:
  LiveCapture(std::vector<pcap_t*> handles, const PipelineOptions& options, size_t queue_depth);
  void run(int worker, Pipeline& pipeline) override;

  std::vector<pcap_t*> handles_;
};

}  // namespace mommy
