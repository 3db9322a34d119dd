// mommy-replay FILE...
//
// Runs each capture file through the same path the addon uses (FileCapture:
// reader thread, pipeline, bounded queue, drained here) and prints one JSON
// line per file with its counters and the capture's failure, if any. Built
// for sanitizer runs (scripts/sanitize-edge.sh), so damaged files are normal
// input: the exit status is 0 for them, 1 when a file could not be opened at
// all, 2 on a usage error.
#include <cstdint>
#include <cstdio>
#include <string>

#include "engine/capture.h"

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string json_line(const std::string& path, const mommy::CaptureStats& s,
                      const mommy::CaptureFailure& f) {
  std::string out = "{\"file\":" + json_string(path);
  out += ",\"packets\":" + std::to_string(s.packets);
  out += ",\"decoded\":" + std::to_string(s.decoded);
  out += ",\"skipped\":" + std::to_string(s.skipped);
  out += ",\"skipped_by_reason\":{";
  bool first = true;
  for (int i = 1; i < mommy::kAnomalyCount; ++i) {  // 0 is Anomaly::ok
    if (!s.skipped_by[i]) continue;
    if (!first) out += ",";
    first = false;
    out += json_string(mommy::anomaly_name(static_cast<mommy::Anomaly>(i))) + ":" +
           std::to_string(s.skipped_by[i]);
  }
  out += "},\"flows\":" + std::to_string(s.flows);
  out += ",\"evictions\":" + std::to_string(s.evictions);
  out += ",\"error\":";
  if (f.code.empty()) {
    out += "null";
  } else {
    out += "{\"code\":" + json_string(f.code) + ",\"offset\":" + std::to_string(f.offset) +
           ",\"message\":" + json_string(f.message) + "}";
  }
  return out + "}";
}

// Returns false when the file could not be opened at all.
bool replay(const std::string& path) {
  mommy::PipelineOptions options;
  // Small batches, so a short capture still crosses batch boundaries.
  options.batch_rows = 256;
  mommy::CaptureFailure failure;
  auto capture = mommy::FileCapture::open(path, options, /*queue_depth=*/4, failure);
  if (!capture) {
    std::printf("%s\n", json_line(path, mommy::CaptureStats{}, failure).c_str());
    return failure.code != "open_failed";
  }
  capture->start();
  while (capture->next()) {
  }
  std::printf("%s\n", json_line(path, capture->stats(), capture->failure()).c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help") {
    std::fprintf(stderr, "usage: mommy-replay FILE...\n");
    return 2;
  }
  bool all_opened = true;
  for (int i = 1; i < argc; ++i) all_opened = replay(argv[i]) && all_opened;
  return all_opened ? 0 : 1;
}
