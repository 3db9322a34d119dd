// Benchmark stages of the native path, without Node.
//
//   bench-flow-table file PATH [--stage read|decode|table|pipeline]
//     Reads PATH with our CaptureReader and stops after the given stage:
//       read      the reader alone (touches the bytes like bench-pcap-loop)
//       decode    + decode_frame and fragment attribution
//       table     + FlowTable, finished flows go to a sink that only counts
//                 them (the default: "the native flow table alone")
//       pipeline  the capture thread's whole work (engine/pipeline.h): decode,
//                 flow table and the Arrow batch builder; finished batches go
//                 to a BatchQueue that drops them, so nothing waits for a
//                 consumer. The difference to the JS stage is then the
//                 hand-off to JavaScript and JavaScript itself.
//     The flow options are the defaults that Capture.openFile uses.
//     Prints {"stage","packets","decoded","flows","seconds","pps",...}.
//
//   bench-flow-table memory N [--payload]
//     Puts N distinct concurrent flows into a FlowTable with max_flows = N,
//     default payload_bytes and timeouts long enough that nothing expires.
//     Without --payload each flow is one SYN (no payload buffer is taken);
//     with --payload each flow also gets 64 bytes of payload in both
//     directions, so each holds its 2 × payload_bytes prefix buffer.
//     Prints {"flows","memory_bytes","bytes_per_flow","rss_bytes",...}:
//     memory_bytes is FlowTable::memory_bytes(); rss_bytes is the growth of
//     the process's resident set while filling the table (what the table
//     really cost, allocator overhead included).
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "capture/byte_source.h"
#include "capture/reader.h"
#include "decode/packet.h"
#include "engine/pipeline.h"
#include "engine/queue.h"
#include "flow/fragments.h"
#include "flow/table.h"

using namespace mommy;

namespace {

constexpr uint64_t kSeed = 0x9e3779b97f4a7c15ull;
constexpr int64_t kMaxTimeNs = int64_t{1} << 62;  // as engine/pipeline.cc clamps
int64_t clamp_time(int64_t t) { return t < 0 ? 0 : t > kMaxTimeNs ? kMaxTimeNs : t; }

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

uint64_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

class CountingSink final : public FlowSink {
 public:
  void on_flow(const Flow& flow, EndReason) override {
    ++flows;
    pkts += flow.total_pkts();
  }
  uint64_t flows = 0;
  uint64_t pkts = 0;
};

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s file PATH [--stage read|decode|table|pipeline]\n"
               "       %s memory N [--payload]\n",
               argv0, argv0);
  return 2;
}

// ---- file mode -----------------------------------------------------------------

int run_file(const std::string& path, const std::string& stage) {
  const bool decode = stage != "read";
  const bool table = stage == "table";
  const bool pipeline = stage == "pipeline";
  if (stage != "read" && stage != "decode" && !table && !pipeline) {
    std::fprintf(stderr, "bench-flow-table: unknown stage '%s'\n", stage.c_str());
    return 2;
  }

  const double t0 = now_s();
  std::string err;
  auto source = open_file_source(path, err);
  if (!source) {
    std::fprintf(stderr, "bench-flow-table: %s\n", err.c_str());
    return 1;
  }
  CaptureReader reader(std::move(source));
  if (!reader.open()) {
    std::fprintf(stderr, "bench-flow-table: %s\n", reader.error().message.c_str());
    return 1;
  }

  PipelineOptions options;  // the same defaults as Capture.openFile
  CountingSink sink;
  FlowTable flows(options.flow, sink, kSeed);
  FragmentTracker fragments;
  BatchQueue queue(1, /*drop_when_full=*/true);
  std::unique_ptr<Pipeline> pipe;
  if (pipeline) {
    queue.add_producer();
    pipe = std::make_unique<Pipeline>(options, queue, kSeed);
  }

  uint64_t packets = 0, decoded = 0, check = 0, peak_active = 0, peak_memory = 0;
  if (pipeline) {
    // The capture path itself, decoding frames ahead of the one it accounts.
    const std::atomic<bool> never{false};
    packets = pipe->read_file(reader, never, [] {});
  }
  Frame f;
  while (!pipeline && reader.next(f)) {
    ++packets;
    if (!decode) {
      check += f.caplen + (f.caplen ? f.data[0] : 0);
      continue;
    }
    const int64_t ts = clamp_time(f.ts_ns);
    Decoded d;
    Anomaly why = decode_frame(f, d);
    if (why == Anomaly::ok && d.fragment && !fragments.resolve(d, ts)) why = Anomaly::fragment_orphan;
    if (why != Anomaly::ok) continue;
    ++decoded;
    if (!table) {
      check += d.src_port + d.ip_bytes;
      continue;
    }
    flows.packet(d, ts);
    if ((packets & 4095) == 0 && flows.active() > peak_active) {
      peak_active = flows.active();
      peak_memory = flows.memory_bytes();
    }
  }
  if (reader.error().status != ReadStatus::ok) {
    std::fprintf(stderr, "bench-flow-table: %s\n", reader.error().message.c_str());
    return 1;
  }
  uint64_t records = 0, created = 0, evictions = 0;
  if (table) {
    if (flows.active() > peak_active) {
      peak_active = flows.active();
      peak_memory = flows.memory_bytes();
    }
    flows.flush(EndReason::eof);
    records = sink.flows;
    created = flows.counters().flows_created;
    evictions = flows.counters().evictions;
    check += sink.pkts;
  }
  if (pipeline) {
    pipe->finish(EndReason::eof);
    CaptureStats stats;
    std::mutex mu;
    pipe->publish(stats, mu);
    decoded = stats.decoded;
    records = stats.flows;
    created = stats.flows_created;
    evictions = stats.evictions;
    check = stats.batches;
    queue.producer_done();
  }
  const double secs = now_s() - t0;
  std::printf(
      "{\"stage\":\"%s\",\"packets\":%" PRIu64 ",\"decoded\":%" PRIu64 ",\"flows\":%" PRIu64
      ",\"flows_created\":%" PRIu64 ",\"evictions\":%" PRIu64 ",\"peak_active\":%" PRIu64
      ",\"peak_memory_bytes\":%" PRIu64 ",\"seconds\":%.6f,\"pps\":%.0f,\"check\":%" PRIu64 "}\n",
      stage.c_str(), packets, decoded, records, created, evictions, peak_active, peak_memory, secs,
      secs > 0 ? static_cast<double>(packets) / secs : 0.0, check);
  return 0;
}

// ---- memory mode ---------------------------------------------------------------

int run_memory(uint64_t n, bool payload) {
  if (n == 0 || n > 16'000'000) {
    std::fprintf(stderr, "bench-flow-table: N must be 1..16000000\n");
    return 2;
  }
  FlowOptions o;  // default payload_bytes
  o.max_flows = static_cast<uint32_t>(n);
  o.tcp_idle = o.udp_idle = o.icmp_idle = o.other_idle = o.tcp_close = o.active = 1e8;  // ~3 years

  static uint8_t bytes[64];
  for (size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 1);

  const uint64_t rss0 = rss_bytes();
  CountingSink sink;
  const double t0 = now_s();
  uint64_t packets = 0;
  {
    FlowTable table(o, sink, kSeed);
    int64_t ts = 1'700'000'000'000'000'000;
    for (uint64_t i = 0; i < n; ++i) {
      // Client 10.x.y.z (one address per flow, i < 2^24), port 1024..65023;
      // server 192.0.2.1:80.
      Decoded d;
      d.ip_version = 4;
      d.proto = 6;
      d.ttl = 64;
      d.has_ports = true;
      d.src[0] = 10;
      d.src[1] = static_cast<uint8_t>(i >> 16);
      d.src[2] = static_cast<uint8_t>(i >> 8);
      d.src[3] = static_cast<uint8_t>(i);
      d.dst[0] = 192;
      d.dst[1] = 0;
      d.dst[2] = 2;
      d.dst[3] = 1;
      d.src_port = static_cast<uint16_t>(1024 + (i * 7919) % 64000);
      d.dst_port = 80;
      d.tcp_flags = tcpflag::kSyn;
      d.ip_bytes = 60;
      table.packet(d, ts++);
      ++packets;
      if (!payload) continue;
      // Responder, then originator, each with 64 payload bytes.
      Decoded r = d;
      std::memcpy(r.src, d.dst, 16);
      std::memcpy(r.dst, d.src, 16);
      r.src_port = d.dst_port;
      r.dst_port = d.src_port;
      r.tcp_flags = tcpflag::kAck | tcpflag::kPsh;
      r.ip_bytes = 40 + sizeof bytes;
      r.payload = bytes;
      r.payload_len = r.payload_cap = sizeof bytes;
      table.packet(r, ts++);
      Decoded q = d;
      q.tcp_flags = tcpflag::kAck | tcpflag::kPsh;
      q.ip_bytes = 40 + sizeof bytes;
      q.payload = bytes;
      q.payload_len = q.payload_cap = sizeof bytes;
      table.packet(q, ts++);
      packets += 2;
    }
    const double secs = now_s() - t0;
    const uint64_t rss1 = rss_bytes();
    const uint64_t active = table.active();
    const uint64_t mem = table.memory_bytes();
    std::printf(
        "{\"mode\":\"%s\",\"flows\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"payload_bytes_option\":%u"
        ",\"memory_bytes\":%" PRIu64 ",\"bytes_per_flow\":%.1f,\"rss_bytes\":%" PRIu64
        ",\"rss_bytes_per_flow\":%.1f,\"sizeof_flow\":%zu,\"evictions\":%" PRIu64
        ",\"seconds\":%.6f,\"flows_per_second\":%.0f}\n",
        payload ? "payload" : "syn", active, packets, o.payload_bytes, mem,
        active ? static_cast<double>(mem) / static_cast<double>(active) : 0.0, rss1 - rss0,
        active ? static_cast<double>(rss1 - rss0) / static_cast<double>(active) : 0.0, sizeof(Flow),
        table.counters().evictions, secs, secs > 0 ? static_cast<double>(n) / secs : 0.0);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage(argv[0]);
  const std::string mode = argv[1];
  if (mode == "file") {
    std::string stage = "table";
    for (int i = 3; i < argc; ++i) {
      if (std::strcmp(argv[i], "--stage") == 0 && i + 1 < argc) stage = argv[++i];
      else return usage(argv[0]);
    }
    return run_file(argv[2], stage);
  }
  if (mode == "memory") {
    bool payload = false;
    for (int i = 3; i < argc; ++i) {
      if (std::strcmp(argv[i], "--payload") == 0) payload = true;
      else return usage(argv[0]);
    }
    char* end = nullptr;
    const unsigned long long n = std::strtoull(argv[2], &end, 10);
    if (!end || *end) return usage(argv[0]);
    return run_memory(n, payload);
  }
  return usage(argv[0]);
}
