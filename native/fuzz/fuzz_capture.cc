// libFuzzer harness for the capture core: reader, decoders, fragment
// tracker, flow table and batch builder, on one thread (no FileCapture
// threads), with a fixed hash seed so every run of an input is the same.
//
// Two modes, chosen by the first byte:
//   0x00-0xDF  the whole input is a capture file (pcap or pcapng), read with
//              CaptureReader from memory. Real captures are valid seeds as
//              they are (their magic bytes all fall in this range), and a
//              crash found here is a capture file mommy-replay can open.
//   0xE0-0xFF  the rest of the input is ONE frame, decoded with the link type
//              kLinktypes[low nibble % size]; bit 0x10 set claims the frame was
//              cut short by a snaplen (wirelen = caplen + 1500).
// Both end with finish(eof), which ends every flow and fills a batch.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "capture/byte_source.h"
#include "capture/reader.h"
#include "engine/pipeline.h"
#include "engine/queue.h"
#include "engine/stats.h"

namespace {

constexpr uint64_t kSeed = 0x6d6f6d6d796e6574;  // "mommynet"
constexpr uint8_t kFrameMode = 0xE0;

constexpr uint32_t kLinktypes[] = {
    mommy::linktype::kEthernet, mommy::linktype::kLinuxSll, mommy::linktype::kLinuxSll2,
    mommy::linktype::kRaw,      mommy::linktype::kNull,     mommy::linktype::kLoop,
    mommy::linktype::kNflog,    mommy::linktype::kPpp,      mommy::linktype::kIpv4,
    mommy::linktype::kIpv6,     mommy::linktype::kPpi,      mommy::linktype::kPppEther,
    mommy::linktype::kRawAlt12, mommy::linktype::kRawAlt14,
    127,  // radiotap: not decoded, must be counted as unsupported
};
constexpr size_t kLinktypeCount = sizeof kLinktypes / sizeof kLinktypes[0];

mommy::PipelineOptions options() {
  mommy::PipelineOptions o;
  o.batch_rows = 8;         // batches fill and are handed over within one input
  o.flow.max_flows = 64;    // eviction is reachable within 64 KiB of input
  o.flow.payload_bytes = 32;
  return o;
}

void run_capture(const uint8_t* data, size_t size, mommy::Pipeline& pipeline) {
  mommy::CaptureReader reader(mommy::memory_source(data, size));
  if (!reader.open()) return;
  // The file path itself, decoding frames ahead of the one it accounts.
  const std::atomic<bool> never{false};
  pipeline.read_file(reader, never, [] {});
}

void run_frame(const uint8_t* data, size_t size, mommy::Pipeline& pipeline) {
  const uint8_t mode = data[0];
  mommy::Frame frame;
  frame.ts_ns = 1'700'000'000'000'000'000;
  frame.linktype = kLinktypes[(mode & 0x0F) % kLinktypeCount];
  frame.data = data + 1;
  frame.caplen = static_cast<uint32_t>(size - 1);
  frame.wirelen = frame.caplen + ((mode & 0x10) ? 1500 : 0);
  pipeline.frame(frame);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Dropping batches when full never blocks; the one batch kept is freed
  // with the queue. Every row is built either way.
  mommy::BatchQueue queue(1, /*drop_when_full=*/true);
  mommy::Pipeline pipeline(options(), queue, kSeed);
  if (size > 0 && data[0] >= kFrameMode)
    run_frame(data, size, pipeline);
  else
    run_capture(data, size, pipeline);
  pipeline.finish(mommy::EndReason::eof);
  mommy::CaptureStats stats;
  std::mutex mu;
  pipeline.publish(stats, mu);
  return 0;
}
