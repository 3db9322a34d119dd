#include "extract/packet_writer.h"

#include <cerrno>
#include <cstring>

namespace mommy {

namespace {
constexpr uint32_t kSnaplen = 262144;
constexpr uint32_t kPcapMagicUs = 0xA1B2C3D4, kPcapMagicNs = 0xA1B23C4D;
constexpr uint32_t kShb = 0x0A0D0D0A, kIdb = 1, kEpb = 6, kByteOrderMagic = 0x1A2B3C4D;
constexpr uint16_t kOptTsresol = 9;

// Appends little-endian integers to a block being built.
struct Bytes {
  std::vector<uint8_t> v;
  void u16(uint16_t x) { v.insert(v.end(), {uint8_t(x), uint8_t(x >> 8)}); }
  void u32(uint32_t x) { u16(uint16_t(x)); u16(uint16_t(x >> 16)); }
  void u64(uint64_t x) { u32(uint32_t(x)); u32(uint32_t(x >> 32)); }
};
}  // namespace

const char* output_format_name(OutputFormat f) {
  switch (f) {
    case OutputFormat::pcap_us: return "pcap";
    case OutputFormat::pcap_ns: return "pcap-ns";
    case OutputFormat::pcapng: return "pcapng";
  }
  return "?";
}

PacketWriter::~PacketWriter() {
  if (file_) std::fclose(file_);
}

bool PacketWriter::fail(const std::string& what) {
  if (error_.empty()) error_ = path_ + ": " + what;
  return false;
}

bool PacketWriter::put(const void* data, size_t n) {
  if (n && std::fwrite(data, 1, n, file_) != n) return fail(std::strerror(errno));
  return true;
}

int PacketWriter::interface_of(uint32_t linktype) const {
  for (size_t i = 0; i < linktypes_.size(); ++i)
    if (linktypes_[i] == linktype) return static_cast<int>(i);
  return -1;
}

bool PacketWriter::open(const std::string& path, OutputFormat format, const std::vector<uint32_t>& linktypes) {
  path_ = path;
  format_ = format;
  linktypes_ = linktypes;
  if (linktypes_.empty() || (format != OutputFormat::pcapng && linktypes_.size() != 1))
    return fail("internal: a classic pcap holds exactly one link type");
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) return fail(std::strerror(errno));
  buffer_.resize(1 << 20);
  std::setvbuf(file_, buffer_.data(), _IOFBF, buffer_.size());
  Bytes h;
  if (format != OutputFormat::pcapng) {
    h.u32(format == OutputFormat::pcap_ns ? kPcapMagicNs : kPcapMagicUs);
    h.u16(2);  // version 2.4
    h.u16(4);
    h.u32(0);  // thiszone
    h.u32(0);  // sigfigs
    h.u32(kSnaplen);
    h.u32(linktypes_[0]);
    return put(h.v.data(), h.v.size());
  }
  // Section header, then one interface per link type with nanosecond
  // timestamps (if_tsresol = 9).
  h.u32(kShb);
  h.u32(28);
  h.u32(kByteOrderMagic);
  h.u16(1);
  h.u16(0);
  h.u64(~uint64_t{0});  // section length not given
  h.u32(28);
  for (uint32_t lt : linktypes_) {
    h.u32(kIdb);
    h.u32(32);
    h.u16(static_cast<uint16_t>(lt));
    h.u16(0);
    h.u32(kSnaplen);
    h.u16(kOptTsresol);
    h.u16(1);
    h.u32(9);  // value 9, then 3 bytes of padding
    h.u32(0);  // opt_endofopt
    h.u32(32);
  }
  return put(h.v.data(), h.v.size());
}

bool PacketWriter::write(const Frame& f) {
  if (!file_) return false;
  // Times before 1970 do not occur in captures we read; write them as 0.
  const uint64_t ns = f.ts_ns < 0 ? 0 : static_cast<uint64_t>(f.ts_ns);
  Bytes h;
  if (format_ != OutputFormat::pcapng) {
    if (f.linktype != linktypes_[0]) return fail("frame of link type " + std::to_string(f.linktype) + " in a pcap of link type " + std::to_string(linktypes_[0]));
    const uint64_t sec = ns / 1000000000;
    const uint64_t frac = ns % 1000000000;
    h.u32(static_cast<uint32_t>(sec));
    h.u32(static_cast<uint32_t>(format_ == OutputFormat::pcap_ns ? frac : frac / 1000));
    h.u32(f.caplen);
    h.u32(f.wirelen);
    if (!put(h.v.data(), h.v.size()) || !put(f.data, f.caplen)) return false;
  } else {
    const int ifc = interface_of(f.linktype);
    if (ifc < 0) return fail("frame of link type " + std::to_string(f.linktype) + " has no interface in this file");
    const uint32_t padded = (f.caplen + 3) & ~3u;
    const uint32_t total = 32 + padded;
    h.u32(kEpb);
    h.u32(total);
    h.u32(static_cast<uint32_t>(ifc));
    h.u32(static_cast<uint32_t>(ns >> 32));
    h.u32(static_cast<uint32_t>(ns));
    h.u32(f.caplen);
    h.u32(f.wirelen);
    static const uint8_t zeros[4] = {};
    Bytes t;
    t.u32(total);
    if (!put(h.v.data(), h.v.size()) || !put(f.data, f.caplen) || !put(zeros, padded - f.caplen) ||
        !put(t.v.data(), t.v.size()))
      return false;
  }
  ++packets_;
  bytes_ += f.caplen;
  return true;
}

bool PacketWriter::close() {
  if (!file_) return error_.empty();
  const bool flushed = std::fflush(file_) == 0;
  const int saved = errno;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed) return fail(std::strerror(saved));
  if (!closed) return fail(std::strerror(errno));
  return error_.empty();
}

}  // namespace mommy
