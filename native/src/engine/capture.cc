#include "engine/capture.h"

#include <pcap/pcap.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace mommy {

namespace {
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
  // Finished (and its counters final) before the last batch is handed over,
  // so that JavaScript, taking that batch, knows no more are being made.
  const auto finished = [&] {
    publish(worker, pipeline);
    ++finished_workers_;
  };
  if (queue_.cancelled()) finished();
  else pipeline.finish(EndReason::eof, finished);
  publish(worker, pipeline);
  queue_.producer_done();
}

void Capture::publish(int worker, Pipeline& pipeline) { pipeline.publish(worker_stats_[worker], stats_mu_); }

// Workers look at stop_ at least every kPollMs (live) or every frame (files).
void Capture::stop() { stop_ = true; }

void Capture::cancel() {
  stop_ = true;
  queue_.cancel();
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
  auto note_progress = [&] {
    std::lock_guard<std::mutex> lock(info_mu_);
    info_.bytes_read = reader_->offset();
    info_.file_bytes_read = reader_->file_bytes_read();
    info_.linktypes = reader_->linktypes();
  };
  pipeline.read_file(*reader_, stop_, [&] {
    publish(worker, pipeline);
    note_progress();
  });
  note_progress();
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

pcap_t* open_handle(const LiveOptions& o, CaptureFailure& failure) {
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
  // Workers poll() the socket themselves. In blocking mode libpcap waits
  // with no timeout under TPACKET_V3 and relies on the kernel retiring a
  // block, which it never does for an empty one: an idle interface would
  // stop the clock (no idle timeouts, no batch hand-over, no stop).
  if (pcap_setnonblock(p, 1, errbuf) != 0) {
    failure = CaptureFailure{"activate_failed", o.interface + ": " + errbuf, -1};
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
  return p;
}

// The fanout program: which worker gets a packet. It hashes only the two IP
// addresses, combined with XOR, so both directions of a flow and every
// fragment of a datagram (which carries no ports) go to the same worker.
// Loads are relative to the network header (SKF_NET_OFF), so VLAN tags the
// kernel has already stripped do not matter; frames it cannot place (not IP,
// inner tags left in place) go to worker 0.
std::vector<sock_filter> fanout_program(uint32_t workers) {
  constexpr int32_t kNet = SKF_NET_OFF;
  auto stmt = [](uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; };
  auto load = [&](int32_t off) { return stmt(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(kNet + off)); };
  const sock_filter kTax = stmt(BPF_MISC | BPF_TAX, 0);
  const sock_filter kXorX = stmt(BPF_ALU | BPF_XOR | BPF_X, 0);

  std::vector<sock_filter> ipv4 = {load(12), kTax, load(16), kXorX};  // src ^ dst
  std::vector<sock_filter> ipv6 = {load(8), kTax};                     // xor of 8 words
  for (int32_t off = 12; off <= 36; off += 4) {
    ipv6.push_back(load(off));
    ipv6.push_back(kXorX);
    if (off < 36) ipv6.push_back(kTax);
  }
  const std::vector<sock_filter> mix = {kTax, stmt(BPF_ALU | BPF_RSH | BPF_K, 16), kXorX, kTax,
                                        stmt(BPF_ALU | BPF_RSH | BPF_K, 8),        kXorX,
                                        stmt(BPF_ALU | BPF_MOD | BPF_K, workers),  stmt(BPF_RET | BPF_A, 0)};
  // Layout: [0] protocol, [1] is IPv4?, [2] is IPv6?, ipv4, ja mix, ipv6, mix, ret 0.
  const uint8_t ipv6_at = static_cast<uint8_t>(3 + ipv4.size() + 1);
  const uint8_t mix_at = static_cast<uint8_t>(ipv6_at + ipv6.size());
  const uint8_t other_at = static_cast<uint8_t>(mix_at + mix.size());
  std::vector<sock_filter> prog = {
      stmt(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PROTOCOL)),
      sock_filter{BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0x0800},
      sock_filter{BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint8_t>(ipv6_at - 3), static_cast<uint8_t>(other_at - 3), 0x86DD},
  };
  prog.insert(prog.end(), ipv4.begin(), ipv4.end());
  prog.push_back(stmt(BPF_JMP | BPF_JA, static_cast<uint32_t>(mix_at - (3 + ipv4.size() + 1))));
  prog.insert(prog.end(), ipv6.begin(), ipv6.end());
  prog.insert(prog.end(), mix.begin(), mix.end());
  prog.push_back(stmt(BPF_RET | BPF_K, 0));
  return prog;
}

// Puts the workers' sockets in one fanout group. The kernel assigns the
// group id, and the group is created with exactly as many places as there
// are workers: another process (CAP_NET_RAW can list fanout groups) could
// otherwise join it and replace its program, taking the packets unnoticed.
bool join_fanout(const std::vector<pcap_t*>& handles, const std::string& iface, CaptureFailure& failure) {
  auto fail_with = [&](const char* what) {
    failure = CaptureFailure{"fanout_failed", iface + ": " + what + ": " + std::strerror(errno), -1};
    return false;
  };
  const uint32_t members = static_cast<uint32_t>(handles.size());
  const int first = pcap_fileno(handles[0]);
  fanout_args args{};
  args.id = 0;
  args.type_flags = PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_UNIQUEID;
  args.max_num_members = members;
  if (setsockopt(first, SOL_PACKET, PACKET_FANOUT, &args, sizeof args) != 0) return fail_with("PACKET_FANOUT");
  int assigned = 0;
  socklen_t len = sizeof assigned;
  if (getsockopt(first, SOL_PACKET, PACKET_FANOUT, &assigned, &len) != 0) return fail_with("PACKET_FANOUT id");
  std::vector<sock_filter> prog = fanout_program(members);
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
  if (setsockopt(first, SOL_PACKET, PACKET_FANOUT_DATA, &fprog, sizeof fprog) != 0)
    return fail_with("PACKET_FANOUT_DATA");
  args.id = static_cast<uint16_t>(assigned & 0xFFFF);
  args.type_flags = PACKET_FANOUT_CBPF;
  for (size_t i = 1; i < handles.size(); ++i)
    if (setsockopt(pcap_fileno(handles[i]), SOL_PACKET, PACKET_FANOUT, &args, sizeof args) != 0)
      return fail_with("PACKET_FANOUT join");
  return true;
}
}  // namespace

std::unique_ptr<LiveCapture> LiveCapture::open(const LiveOptions& live, const PipelineOptions& options,
                                               size_t queue_depth, CaptureFailure& failure) {
  const int workers = live.workers < 1 ? 1 : live.workers;
  std::vector<pcap_t*> handles;
  auto close_all = [&] {
    for (pcap_t* h : handles) pcap_close(h);
  };
  for (int w = 0; w < workers; ++w) {
    pcap_t* p = open_handle(live, failure);
    if (!p) {
      close_all();
      return nullptr;
    }
    handles.push_back(p);
  }
  if (workers > 1 && !join_fanout(handles, live.interface, failure)) {
    close_all();
    return nullptr;
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
  auto* user = reinterpret_cast<u_char*>(&ctx);
  pollfd pfd{pcap_get_selectable_fd(p), POLLIN, 0};
  // Waits up to kPollMs for the kernel to hand over a block, then reads what
  // is there. False on a capture error.
  auto read_ring = [&] {
    if (poll(&pfd, 1, kPollMs) > 0 && pcap_dispatch(p, -1, on_packet, user) == PCAP_ERROR) {
      fail("capture_failed", std::string("capture: ") + pcap_geterr(p));
      return false;
    }
    return true;
  };
  bool ok = true;
  while (ok && !stop_) {
    ok = read_ring();
    pipeline.tick(wall_clock_ns());
    read_kernel_stats();
    publish(worker, pipeline);
  }
  // After stop(), frames the kernel already accepted are still in the ring:
  // TPACKET_V3 hands a block over when it fills or when its timeout (kPollMs)
  // expires. Read for two more timeouts, then take what is left, so that a
  // stop loses nothing the kernel counted as received.
  if (ok && !queue_cancelled()) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2 * kPollMs);
    while (ok && std::chrono::steady_clock::now() < until) ok = read_ring();
    while (ok && pcap_dispatch(p, -1, on_packet, user) > 0) {
    }
  }
  read_kernel_stats();
}

}  // namespace mommy
