// Reads pcap and pcapng captures record by record. The format is chosen by
// the magic bytes, never by the file name. pcapng sections may hold several
// interfaces with different link types and timestamp resolutions; each frame
// carries its own link type.
//
// On damage (a record cut short, an impossible length) the reader stops with
// an error that names the byte offset; every frame before it was delivered.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/byte_source.h"
#include "decode/packet.h"

namespace mommy {

enum class ReadStatus : uint8_t {
  ok,
  not_a_capture,        // unknown magic, or empty
  unsupported_version,  // known format, version we do not read
  bad_header,           // file/section/interface header invalid
  truncated,            // input ends inside a record
  corrupt,              // a record whose lengths cannot be right
  io_error,             // the operating system or zlib failed
};

const char* read_status_name(ReadStatus s);

struct ReadError {
  ReadStatus status = ReadStatus::ok;
  uint64_t offset = 0;  // byte offset (uncompressed) where the problem starts
  std::string message;
};

class CaptureReader {
 public:
  // Largest record accepted. libpcap's limit for a packet is 256 KiB (more
  // for a larger snaplen); a pcapng block may also hold options.
  static constexpr uint32_t kMaxPacket = 262144;
  static constexpr uint32_t kMaxBlock = 16u << 20;
  // Frames whose bytes stay valid after they are returned (see next()): the
  // capture thread decodes this many ahead of the one it accounts, so that
  // the memory those need is loading meanwhile.
  static constexpr int kFramesKept = 16;

  explicit CaptureReader(std::unique_ptr<ByteSource> source);

  // Reads the file header. False on error (see error()).
  bool open();
  // Next frame. The data of the last kFramesKept frames stays valid, so a
  // caller may work a few frames ahead. False at the end of input or on
  // error: error().status tells which.
  bool next(Frame& frame);

  const ReadError& error() const { return error_; }
  const char* format() const;                  // "pcap", "pcap-ns", "pcapng"
  const std::vector<uint32_t>& linktypes() const { return linktypes_seen_; }
  uint64_t offset() const { return base_offset_ + pos_; }
  bool compressed() const { return source_->compressed(); }
  // Bytes of the file taken so far (compressed bytes for gzip; see ByteSource::consumed).
  uint64_t file_bytes_read() const { return source_->consumed(); }

 private:
  struct Interface {
    uint32_t linktype;
    uint64_t units_per_second;  // 0 with `pow2_exp` set means 2^-exp
    uint8_t pow2_exp;
    int64_t offset_seconds;
  };
  enum class Format : uint8_t { unknown, pcap, pcapng };

  size_t fill(size_t n);  // make n bytes available at pos_, returns available
  void switch_buffer(size_t n);
  void frame_returned();
  bool fail(ReadStatus s, uint64_t at, std::string msg);
  void note_linktype(uint32_t lt);
  bool open_pcap(const uint8_t* magic);
  bool next_pcap(Frame& frame);
  bool read_section_header(uint64_t at);
  bool next_pcapng(Frame& frame);
  bool parse_interface(const uint8_t* body, uint32_t len, uint64_t at);
  int64_t pcapng_time(const Interface& ifc, uint64_t units) const;
  uint16_t u16(const uint8_t* p) const { return big_endian_ ? be16(p) : le16(p); }
  uint32_t u32(const uint8_t* p) const { return big_endian_ ? be32(p) : le32(p); }

  // A buffer read before, still holding frames a caller may use.
  struct Retired {
    std::vector<uint8_t> bytes;
    uint64_t release_at;  // frames_ from which none of its frames is among the last kFramesKept
  };

  std::unique_ptr<ByteSource> source_;
  // The bytes being read. Bytes are never moved within a buffer: when a
  // record does not fit in what is left of it, reading goes on in another
  // one and this one is retired untouched until its frames are no longer
  // among the last kFramesKept returned. Usually one buffer of 1 MiB is
  // retired at a time; records of a MiB or more each can hold up to
  // kFramesKept buffers of their size.
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, end_ = 0;
  std::vector<Retired> retired_;  // oldest first
  std::vector<uint8_t> spare_;    // a released buffer for the next switch
  uint64_t frames_ = 0;           // frames returned
  uint64_t base_offset_ = 0;
  bool eof_ = false;

  Format format_ = Format::unknown;
  bool big_endian_ = false;  // byte order of the file or current section
  bool nanos_ = false;    // classic pcap nanosecond variant
  uint32_t pcap_linktype_ = 0;
  uint32_t pcap_max_caplen_ = kMaxPacket;
  std::vector<Interface> interfaces_;
  std::vector<uint32_t> linktypes_seen_;
  ReadError error_;
};

}  // namespace mommy
