#include "engine/capture.h"

#include <pcap/pcap.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>

namespace mommy {

namespace {
// How often a worker publishes its counters for stats() (packets).
constexpr uint64_t kPublishEvery = 1 << 16;

uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

// ---- Capture -----------------------------------------------------------------

Capture::Capture(const PipelineOptions& options, size_t queue_depth, bool live, int workers)
    : options_(options), queue_(queue_depth, live), workers_(workers), worker_stats_(workers) {}

Capture::~Capture() = default;  // subclasses call join() in their destructors

void Capture::start() {
  for (int w = 0; w < workers_; ++w) queue_.add_producer();
  for (int w = 0; w < workers_; ++w) threads_.emplace_back(&Capture::worker_main, this, w);
}

void Capture::worker_main(int worker) {
  // Each worker gets its own hash seed: tables never share keys anyway.
  Pipeline pipeline(options_, queue_, random_seed());
  run(worker, pipeline);
  if (!queue_.cancelled()) pipeline.finish(EndReason::eof);
  publish(worker, pipeline);
  queue_.producer_done();
}

void Capture::publish(int worker, Pipeline& pipeline) { pipeline.publish(worker_stats_[worker], stats_mu_); }

void Capture::stop() {
  stop_ = true;
  wake();
}

void Capture::cancel() {
  stop_ = true;
  queue_.cancel();
  wake();
}

void Capture::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

CaptureStats Capture::stats() const {
  CaptureStats total;
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    for (const auto& s : worker_stats_) total.add(s);
  }
  total.batches_dropped = queue_.dropped();
  return total;
}

void Capture::fail(std::string code, std::string message, int64_t offset) {
  std::lock_guard<std::mutex> lock(failure_mu_);
  if (!failure_.code.empty()) return;  // the first failure is the cause
  failure_.code = std::move(code);
  failure_.message = std::move(message);
  failure_.offset = offset;
}

CaptureFailure Capture::failure() const {
  std::lock_guard<std::mutex> lock(failure_mu_);
  return failure_;
}

// ---- FileCapture -------------------------------------------------------------

std::unique_ptr<FileCapture> FileCapture::open(const std::string& path, const PipelineOptions& options,
                                               size_t queue_depth, CaptureFailure& failure) {
  std::string err;
  auto source = open_file_source(path, err);
  if (!source) {
    failure = CaptureFailure{"open_failed", err, -1};
    return nullptr;
  }
  auto reader = std::make_unique<CaptureReader>(std::move(source));
  if (!reader->open()) {
    const ReadError& e = reader->error();
    failure = CaptureFailure{read_status_name(e.status),
                             path + ": " + e.message + " (at byte " + std::to_string(e.offset) + ")",
                             static_cast<int64_t>(e.offset)};
    return nullptr;
  }
  return std::unique_ptr<FileCapture>(new FileCapture(std::move(reader), path, options, queue_depth));
}

FileCapture::FileCapture(std::unique_ptr<CaptureReader> reader, std::string path,
                         const PipelineOptions& options, size_t queue_depth)
    : Capture(options, queue_depth, false, 1), reader_(std::move(reader)), path_(std::move(path)) {
  info_.format = reader_->format();
  info_.compressed = reader_->compressed();
  info_.linktypes = reader_->linktypes();
}

FileCapture::~FileCapture() {
  cancel();
  join();
}

void FileCapture::run(int worker, Pipeline& pipeline) {
  Frame frame;
  uint64_t n = 0;
  while (!stop_ && reader_->next(frame)) {
    pipeline.frame(frame);
    if (++n % kPublishEvery == 0) {
      publish(worker, pipeline);
      std::lock_guard<std::mutex> lock(info_mu_);
      info_.bytes_read = reader_->offset();
      info_.linktypes = reader_->linktypes();
    }
  }
  {
    std::lock_guard<std::mutex> lock(info_mu_);
    info_.bytes_read = reader_->offset();
    info_.linktypes = reader_->linktypes();
  }
  const ReadError& e = reader_->error();
  if (e.status != ReadStatus::ok)
    fail(read_status_name(e.status),
         path_ + ": " + e.message + " (at byte " + std::to_string(e.offset) +
             (reader_->compressed() ? " of the decompressed stream" : "") + ")",
         static_cast<int64_t>(e.offset));
}

FileInfo FileCapture::info() const {
  std::lock_guard<std::mutex> lock(info_mu_);
  return info_;
}

// ---- LiveCapture -------------------------------------------------------------

namespace {
// Read timeout: how long a worker may sit in libpcap before it looks at the
// clock (timeouts, batch interval) and the stop flag.
constexpr int kPollMs = 100;

std::string activate_code(int status) {
  switch (status) {
    case PCAP_ERROR_NO_SUCH_DEVICE: return "no_such_device";
    case PCAP_ERROR_PERM_DENIED: return "permission_denied";
    case PCAP_ERROR_IFACE_NOT_UP: return "interface_down";
    case PCAP_ERROR_PROMISC_PERM_DENIED: return "permission_denied";
    default: return "activate_failed";
  }
}

pcap_t* open_handle(const LiveOptions& o, int fanout_group, CaptureFailure& failure) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(o.interface.c_str(), errbuf);
  if (!p) {
    failure = CaptureFailure{"open_failed", o.interface + ": " + errbuf, -1};
    return nullptr;
  }
  pcap_set_snaplen(p, o.snaplen);
  pcap_set_promisc(p, o.promisc ? 1 : 0);
  pcap_set_timeout(p, kPollMs);
  pcap_set_buffer_size(p, o.buffer_bytes);
  pcap_set_immediate_mode(p, o.immediate ? 1 : 0);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
  const int status = pcap_activate(p);
  if (status < 0) {
    failure = CaptureFailure{activate_code(status), o.interface + ": " + pcap_geterr(p), -1};
    pcap_close(p);
    return nullptr;
  }
  if (!o.filter.empty()) {
    bpf_program prog;
    if (pcap_compile(p, &prog, o.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      failure = CaptureFailure{"bad_filter", "filter \"" + o.filter + "\": " + pcap_geterr(p), -1};
      pcap_close(p);
      return nullptr;
    }
    const int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
      failure = CaptureFailure{"bad_filter", "filter \"" + o.filter + "\": " + pcap_geterr(p), -1};
      pcap_close(p);
      return nullptr;
    }
  }
  if (fanout_group >= 0) {
    // The kernel spreads packets over the group's sockets by a flow hash that
    // is the same in both directions, defragmenting first so every fragment
    // of a datagram reaches the same worker.
    const int arg = (fanout_group & 0xFFFF) | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);
    if (setsockopt(pcap_fileno(p), SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
      failure = CaptureFailure{"fanout_failed", o.interface + ": PACKET_FANOUT: " + std::strerror(errno), -1};
      pcap_close(p);
      return nullptr;
    }
  }
  return p;
}
}  // namespace

std::unique_ptr<LiveCapture> LiveCapture::open(const LiveOptions& live, const PipelineOptions& options,
                                               size_t queue_depth, CaptureFailure& failure) {
  const int workers = live.workers < 1 ? 1 : live.workers;
  static std::atomic<int> next_group{0};
  const int group = workers > 1 ? ((getpid() << 4) + next_group++) & 0xFFFF : -1;
  std::vector<pcap_t*> handles;
  for (int w = 0; w < workers; ++w) {
    pcap_t* p = open_handle(live, group, failure);
    if (!p) {
      for (pcap_t* h : handles) pcap_close(h);
      return nullptr;
    }
    handles.push_back(p);
  }
  return std::unique_ptr<LiveCapture>(new LiveCapture(std::move(handles), options, queue_depth));
}

LiveCapture::LiveCapture(std::vector<pcap_t*> handles, const PipelineOptions& options, size_t queue_depth)
    : Capture(options, queue_depth, true, static_cast<int>(handles.size())), handles_(std::move(handles)) {}

LiveCapture::~LiveCapture() {
  cancel();
  join();
  for (pcap_t* p : handles_) pcap_close(p);
}

int LiveCapture::linktype() const { return pcap_datalink(handles_[0]); }

void LiveCapture::wake() {
  for (pcap_t* p : handles_) pcap_breakloop(p);
}

namespace {
struct LiveContext {
  Pipeline* pipeline;
  uint32_t linktype;
  int64_t frac_ns;  // tv_usec unit: 1 when nanosecond precision was granted
};

void on_packet(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
  auto* ctx = reinterpret_cast<LiveContext*>(user);
  Frame f;
  f.ts_ns = static_cast<int64_t>(h->ts.tv_sec) * 1000000000 + h->ts.tv_usec * ctx->frac_ns;
  f.caplen = h->caplen;
  f.wirelen = h->len;
  f.linktype = ctx->linktype;
  f.data = bytes;
  ctx->pipeline->frame(f);
}
}  // namespace

void LiveCapture::run(int worker, Pipeline& pipeline) {
  pcap_t* p = handles_[worker];
  const bool nanos = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  LiveContext ctx{&pipeline, static_cast<uint32_t>(pcap_datalink(p)), nanos ? 1 : 1000};
  auto read_kernel_stats = [&] {
    pcap_stat ps{};
    if (pcap_stats(p, &ps) == 0) pipeline.set_pcap_stats(ps.ps_recv, ps.ps_drop, ps.ps_ifdrop);
  };
  while (!stop_) {
    const int n = pcap_dispatch(p, -1, on_packet, reinterpret_cast<u_char*>(&ctx));
    if (n == PCAP_ERROR) {
      fail("capture_failed", std::string("capture: ") + pcap_geterr(p));
      break;
    }
    pipeline.tick(wall_clock_ns());
    read_kernel_stats();
    publish(worker, pipeline);
  }
  read_kernel_stats();
}

}  // namespace mommy
