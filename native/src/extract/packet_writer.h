// Writes frames to a capture file that tcpdump and Wireshark open: classic
// pcap (microsecond or nanosecond timestamps) with one link type, or pcapng
// with one interface per link type when the frames have several (classic
// pcap cannot say per packet which link type it is). Little-endian, as the
// writing host; snaplen 262144, libpcap's maximum.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "decode/packet.h"

namespace mommy {

enum class OutputFormat : uint8_t { pcap_us, pcap_ns, pcapng };

const char* output_format_name(OutputFormat f);

class PacketWriter {
 public:
  PacketWriter() = default;
  PacketWriter(const PacketWriter&) = delete;
  PacketWriter& operator=(const PacketWriter&) = delete;
  ~PacketWriter();

  // Creates `path` and writes the file header. Classic pcap takes exactly
  // one link type; pcapng one interface per entry of `linktypes`.
  bool open(const std::string& path, OutputFormat format, const std::vector<uint32_t>& linktypes);
  // False when the frame's link type has no interface in this file, or on
  // an output error (see error()).
  bool write(const Frame& frame);
  // Flushes and closes; false on an output error.
  bool close();

  const std::string& error() const { return error_; }
  uint64_t packets() const { return packets_; }
  uint64_t bytes() const { return bytes_; }  // captured frame bytes written

 private:
  bool put(const void* data, size_t n);
  bool fail(const std::string& what);
  int interface_of(uint32_t linktype) const;

  std::FILE* file_ = nullptr;
  std::string path_;
  std::string error_;
  OutputFormat format_ = OutputFormat::pcap_us;
  std::vector<uint32_t> linktypes_;
  std::vector<char> buffer_;
  uint64_t packets_ = 0, bytes_ = 0;
};

}  // namespace mommy
