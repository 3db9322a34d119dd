#include "extract/extract.h"

#include <algorithm>
#include <memory>

#include "capture/reader.h"
#include "flow/fragments.h"

namespace mommy {

namespace {

// As the pipeline clamps packet times before the flow table sees them, so
// a frame's time compares with its record's start_time/end_time exactly.
constexpr int64_t kMaxTimeNs = int64_t{1} << 62;
int64_t clamp_time(int64_t t) { return t < 0 ? 0 : t > kMaxTimeNs ? kMaxTimeNs : t; }

std::unique_ptr<CaptureReader> open_reader(const std::string& path, ExtractFailure& failure) {
  std::string err;
  auto source = open_file_source(path, err);
  if (!source) {
    failure = ExtractFailure{"open_failed", err, -1};
    return nullptr;
  }
  auto reader = std::make_unique<CaptureReader>(std::move(source));
  if (!reader->open()) {
    const ReadError& e = reader->error();
    failure = ExtractFailure{read_status_name(e.status),
                             path + ": " + e.message + " (at byte " + std::to_string(e.offset) + ")",
                             static_cast<int64_t>(e.offset)};
    return nullptr;
  }
  return reader;
}

// Calls on_frame(frame) for every frame of a selected record, in file order,
// until the input ends or on_frame returns false. Counts frames read.
//
// A frame belongs to a record when its time lies in the record's
// [start_time, end_time]. Captures are not always in time order, though: the
// flow table takes a record's first packet in file order as its start, so a
// later frame stamped a little earlier is still part of it. Such a frame
// (outside every range, but after a frame of the same key that was in a
// selected record, and not later than that record's end) is kept too.
template <class OnFrame>
bool scan(CaptureReader& reader, const SelectionSet& selections, uint64_t& frames, OnFrame&& on_frame) {
  FragmentTracker fragments;
  std::vector<int32_t> current(selections.keys(), -1);  // per key: the record its last frame was in
  Frame f;
  Decoded d;
  FlowKey key;
  bool src_is_lo;
  while (reader.next(f)) {
    ++frames;
    if (decode_frame(f, d) != Anomaly::ok) continue;
    const int64_t ts = clamp_time(f.ts_ns);
    if (d.fragment && !fragments.resolve(d, ts)) continue;
    make_flow_key(d, key, src_is_lo);
    const int32_t k = selections.find(key);
    if (k < 0) continue;
    const int64_t ts_us = ts / 1000;
    int32_t range = selections.range_at(k, ts_us);
    if (range < 0 && current[k] >= 0 && ts_us <= selections.range_end(k, current[k])) range = current[k];
    current[k] = range;
    if (range >= 0 && !on_frame(f)) return false;
  }
  return true;
}

// What the output must be able to hold, learned before writing it.
struct Plan {
  std::vector<uint32_t> linktypes;
  bool nanos = false;     // a timestamp needs nanoseconds
  bool too_late = false;  // a timestamp does not fit classic pcap's 32-bit seconds
  uint32_t fallback_linktype = linktype::kEthernet;

  void note_linktype(uint32_t lt) {
    if (std::find(linktypes.begin(), linktypes.end(), lt) == linktypes.end()) linktypes.push_back(lt);
  }
};

bool plan_input(const ExtractInput& in, Plan& plan, bool first, ExtractFailure& failure) {
  auto reader = open_reader(in.path, failure);
  if (!reader) return false;
  const std::string format = reader->format();
  if (first && !reader->linktypes().empty()) plan.fallback_linktype = reader->linktypes()[0];
  if (in.selections.empty()) return true;
  if (format != "pcapng") {
    // One link type, known from the file header. Every selected record has
    // packets, so frames of it will be written.
    plan.note_linktype(reader->linktypes()[0]);
    if (format == "pcap-ns") plan.nanos = true;
    return true;
  }
  uint64_t frames = 0;
  scan(*reader, in.selections, frames, [&](const Frame& f) {
    plan.note_linktype(f.linktype);
    if (f.ts_ns % 1000 != 0) plan.nanos = true;
    if (f.ts_ns / 1000000000 > 0xFFFFFFFFll) plan.too_late = true;
    return true;
  });
  return true;  // damage is reported by the writing pass, which meets it again
}

}  // namespace

bool extract_packets(const std::vector<ExtractInput>& inputs, const std::string& output, ExtractResult& result,
                     ExtractFailure& failure) {
  Plan plan;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!plan_input(inputs[i], plan, i == 0, failure)) return false;
  if (plan.linktypes.empty()) plan.linktypes.push_back(plan.fallback_linktype);
  std::sort(plan.linktypes.begin(), plan.linktypes.end());
  result.format = plan.linktypes.size() > 1 || plan.too_late ? OutputFormat::pcapng
                  : plan.nanos                               ? OutputFormat::pcap_ns
                                                             : OutputFormat::pcap_us;
  result.linktypes = plan.linktypes;

  PacketWriter writer;
  if (!writer.open(output, result.format, plan.linktypes)) {
    failure = ExtractFailure{"output_failed", writer.error(), -1};
    return false;
  }
  for (const ExtractInput& in : inputs) {
    auto reader = open_reader(in.path, failure);
    if (!reader) return false;
    ExtractInputResult r;
    r.format = reader->format();
    const bool written = scan(*reader, in.selections, r.frames, [&](const Frame& f) {
      if (!writer.write(f)) return false;
      ++r.packets;
      return true;
    });
    if (!written) {
      failure = ExtractFailure{"output_failed", writer.error(), -1};
      return false;
    }
    const ReadError& e = reader->error();
    if (e.status != ReadStatus::ok) {
      r.error_code = read_status_name(e.status);
      r.error_message = in.path + ": " + e.message + " (at byte " + std::to_string(e.offset) + ")";
      r.error_offset = static_cast<int64_t>(e.offset);
    }
    result.inputs.push_back(std::move(r));
  }
  if (!writer.close()) {
    failure = ExtractFailure{"output_failed", writer.error(), -1};
    return false;
  }
  result.packets = writer.packets();
  result.bytes = writer.bytes();
  return true;
}

}  // namespace mommy
