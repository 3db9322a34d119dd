// Packet extraction: reads the original captures again and writes the frames
// of chosen flow records to one capture file. Each frame is decoded, its IP
// fragments attributed and its flow key built exactly as the capture pipeline
// does (decode_frame, FragmentTracker, make_flow_key), and it is kept when its
// key was asked for and its time lies in one of that key's records. Frames
// are written byte for byte with their original timestamps and lengths.
//
// The output is classic pcap with the inputs' link type: microsecond
// timestamps, or nanosecond when an input is a nanosecond pcap or a kept
// pcapng frame has sub-microsecond digits. When the kept frames have more
// than one link type (pcapng with mixed interfaces, or captures of different
// link types) it is pcapng with one interface per link type. pcapng inputs
// are read twice for that decision. Nothing here touches N-API.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "extract/packet_writer.h"
#include "extract/selection.h"

namespace mommy {

struct ExtractInput {
  std::string path;
  SelectionSet selections;  // finish() called
};

struct ExtractInputResult {
  std::string format;   // pcap, pcap-ns, pcapng
  uint64_t frames = 0;  // frames read
  uint64_t packets = 0; // frames written
  // Damage met while reading (code empty when none): frames before it were
  // written.
  std::string error_code, error_message;
  int64_t error_offset = -1;
};

struct ExtractResult {
  uint64_t packets = 0;
  uint64_t bytes = 0;  // captured frame bytes written
  OutputFormat format = OutputFormat::pcap_us;
  std::vector<uint32_t> linktypes;
  std::vector<ExtractInputResult> inputs;
};

struct ExtractFailure {
  std::string code;  // open_failed, not_a_capture, ..., output_failed
  std::string message;
  int64_t offset = -1;
};

// Inputs are read in the order given; frames keep their order within each.
// False when an input cannot be opened or the output cannot be written.
bool extract_packets(const std::vector<ExtractInput>& inputs, const std::string& output, ExtractResult& result,
                     ExtractFailure& failure);

}  // namespace mommy
