#include "capture/reader.h"

#include <cstring>
#include <string>

namespace mommy {

namespace {
constexpr size_t kReadChunk = 1 << 20;
constexpr uint32_t kPcapHeader = 24;
constexpr uint32_t kPcapRecordHeader = 16;

// pcapng block types (draft-ietf-opsawg-pcapng).
constexpr uint32_t kShb = 0x0A0D0D0A;
constexpr uint32_t kIdb = 0x00000001;
constexpr uint32_t kOpb = 0x00000002;  // obsolete Packet Block
constexpr uint32_t kSpb = 0x00000003;
constexpr uint32_t kEpb = 0x00000006;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint16_t kOptEnd = 0, kOptTsResol = 9, kOptTsOffset = 14;

// Link-type field of a classic pcap header: low 16 bits the type, bits 16-25
// reserved (must be zero), bits 26-31 FCS information.
constexpr uint32_t kLinktypeReservedMask = 0x03FF0000u;

std::string hex32(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}
}  // namespace

const char* read_status_name(ReadStatus s) {
  switch (s) {
    case ReadStatus::ok: return "ok";
    case ReadStatus::not_a_capture: return "not_a_capture";
    case ReadStatus::unsupported_version: return "unsupported_version";
    case ReadStatus::bad_header: return "bad_header";
    case ReadStatus::truncated: return "truncated";
    case ReadStatus::corrupt: return "corrupt";
    case ReadStatus::io_error: return "io_error";
  }
  return "unknown";
}

CaptureReader::CaptureReader(std::unique_ptr<ByteSource> source)
    : source_(std::move(source)), buf_(kReadChunk) {}


size_t CaptureReader::fill(size_t n) {
  if (end_ - pos_ >= n) return end_ - pos_;
  if (buf_.size() - pos_ < n) switch_buffer(n);
  while (end_ - pos_ < n && !eof_) {
    const size_t got = source_->read(buf_.data() + end_, buf_.size() - end_);
    if (got == 0) eof_ = true;
    end_ += got;
  }
  return end_ - pos_;
}

void CaptureReader::switch_buffer(size_t n) {
  // Moving the unread bytes to the front of this buffer would overwrite
  // frames already returned; they go to the front of another one instead.
  std::vector<uint8_t> next = std::move(spare_);
  spare_ = {};
  const size_t need = n > kReadChunk ? n : kReadChunk;
  if (next.size() < need) std::vector<uint8_t>(need).swap(next);
  const size_t unread = end_ - pos_;
  std::memcpy(next.data(), buf_.data() + pos_, unread);
  base_offset_ += pos_;
  retired_.push_back(Retired{std::move(buf_), frames_ + kFramesKept});
  buf_ = std::move(next);
  pos_ = 0;
  end_ = unread;
}

void CaptureReader::frame_returned() {
  ++frames_;
  size_t released = 0;
  while (released < retired_.size() && retired_[released].release_at <= frames_) {
    if (spare_.size() < retired_[released].bytes.size()) spare_ = std::move(retired_[released].bytes);
    ++released;
  }
  if (released > 0) retired_.erase(retired_.begin(), retired_.begin() + static_cast<std::ptrdiff_t>(released));
}

bool CaptureReader::fail(ReadStatus s, uint64_t at, std::string msg) {
  error_.status = s;
  error_.offset = at;
  error_.message = std::move(msg);
  return false;
}

void CaptureReader::note_linktype(uint32_t lt) {
  for (uint32_t seen : linktypes_seen_)
    if (seen == lt) return;
  linktypes_seen_.push_back(lt);
}

const char* CaptureReader::format() const {
  if (format_ == Format::pcapng) return "pcapng";
  if (format_ == Format::pcap) return nanos_ ? "pcap-ns" : "pcap";
  return "unknown";
}

bool CaptureReader::open() {
  const size_t have = fill(4);
  if (!source_->error().empty()) return fail(ReadStatus::io_error, 0, source_->error());
  if (have == 0) return fail(ReadStatus::not_a_capture, 0, "empty file");
  if (have < 4) return fail(ReadStatus::not_a_capture, 0, "file too short for a capture header");
  const uint8_t* m = buf_.data() + pos_;
  if (be32(m) == kShb) {
    format_ = Format::pcapng;
    return read_section_header(offset());
  }
  return open_pcap(m);
}

bool CaptureReader::open_pcap(const uint8_t* m) {
  const uint32_t magic = be32(m);
  switch (magic) {
    case 0xA1B2C3D4: big_endian_ = true; nanos_ = false; break;
    case 0xD4C3B2A1: big_endian_ = false; nanos_ = false; break;
    case 0xA1B23C4D: big_endian_ = true; nanos_ = true; break;
    case 0x4D3CB2A1: big_endian_ = false; nanos_ = true; break;
    default:
      if (m[0] == 0x1F && m[1] == 0x8B)
        return fail(ReadStatus::not_a_capture, 0, "gzip data inside gzip data");
      return fail(ReadStatus::not_a_capture, 0,
                  "not a pcap or pcapng file (magic " + hex32(magic) + ")");
  }
  format_ = Format::pcap;
  if (fill(kPcapHeader) < kPcapHeader)
    return fail(ReadStatus::truncated, 0, "file ends inside the 24-byte pcap header");
  const uint8_t* h = buf_.data() + pos_;
  const uint16_t major = u16(h + 4), minor = u16(h + 6);
  // As libpcap: version 2.x up to 2.4 (older minors wrote the same records).
  if (major != 2 || minor > 4)
    return fail(ReadStatus::unsupported_version, 4,
                "pcap version " + std::to_string(major) + "." + std::to_string(minor) +
                    " is not supported (2.4 is)");
  const uint32_t snaplen = u32(h + 16);
  const uint32_t lt_field = u32(h + 20);
  if (lt_field & kLinktypeReservedMask)
    return fail(ReadStatus::bad_header, 20,
                "link-type field " + hex32(lt_field) + " has reserved bits set");
  pcap_linktype_ = lt_field & 0xFFFFu;
  if (snaplen > pcap_max_caplen_ && snaplen <= kMaxBlock) pcap_max_caplen_ = snaplen;
  note_linktype(pcap_linktype_);
  pos_ += kPcapHeader;
  return true;
}

bool CaptureReader::next(Frame& frame) {
  if (error_.status != ReadStatus::ok) return false;
  return format_ == Format::pcapng ? next_pcapng(frame) : next_pcap(frame);
}

bool CaptureReader::next_pcap(Frame& frame) {
  const uint64_t at = offset();
  const size_t have = fill(kPcapRecordHeader);
  if (!source_->error().empty()) return fail(ReadStatus::io_error, offset(), source_->error());
  if (have == 0) return false;  // clean end of file
  if (have < kPcapRecordHeader)
    return fail(ReadStatus::truncated, at, "file ends inside a record header");
  const uint8_t* h = buf_.data() + pos_;
  const uint32_t sec = u32(h), frac = u32(h + 4), caplen = u32(h + 8), len = u32(h + 12);
  if (caplen > pcap_max_caplen_)
    return fail(ReadStatus::corrupt, at,
                "record claims a " + std::to_string(caplen) + "-byte packet, more than the " +
                    std::to_string(pcap_max_caplen_) + "-byte maximum");
  const size_t need = kPcapRecordHeader + caplen;
  if (fill(need) < need) {
    if (!source_->error().empty()) return fail(ReadStatus::io_error, offset(), source_->error());
    return fail(ReadStatus::truncated, at,
                "file ends inside a record (" + std::to_string(caplen) + " bytes announced)");
  }
  h = buf_.data() + pos_;
  frame.ts_ns = static_cast<int64_t>(sec) * 1000000000 +
                static_cast<int64_t>(frac) * (nanos_ ? 1 : 1000);
  frame.caplen = caplen;
  frame.wirelen = len < caplen ? caplen : len;
  frame.linktype = pcap_linktype_;
  frame.data = h + kPcapRecordHeader;
  frame_returned();
  pos_ += need;
  return true;
}

bool CaptureReader::read_section_header(uint64_t at) {
  // Fixed part: type, length, byte-order magic, major, minor, section length.
  if (fill(28) < 28) return fail(ReadStatus::truncated, at, "file ends inside a section header");
  const uint8_t* b = buf_.data() + pos_;
  if (le32(b + 8) == kByteOrderMagic) big_endian_ = false;
  else if (be32(b + 8) == kByteOrderMagic) big_endian_ = true;
  else return fail(ReadStatus::bad_header, at + 8, "section header has no byte-order magic");
  const uint32_t total = u32(b + 4);
  const uint16_t major = u16(b + 12), minor = u16(b + 14);
  if (major != 1 || (minor != 0 && minor != 2))
    return fail(ReadStatus::unsupported_version, at + 12,
                "pcapng version " + std::to_string(major) + "." + std::to_string(minor) +
                    " is not supported (1.0 is)");
  if (total < 28 || total % 4 != 0 || total > kMaxBlock)
    return fail(ReadStatus::corrupt, at + 4,
                "section header length " + std::to_string(total) + " is invalid");
  if (fill(total) < total) return fail(ReadStatus::truncated, at, "file ends inside a section header");
  interfaces_.clear();  // interface IDs are per section
  pos_ += total;
  return true;
}

bool CaptureReader::parse_interface(const uint8_t* body, uint32_t len, uint64_t at) {
  if (len < 8) return fail(ReadStatus::corrupt, at, "interface description block too short");
  Interface ifc{u16(body), 1000000, 0, 0};  // default resolution: microseconds
  // Options: code, length, value padded to 4 bytes.
  uint32_t off = 8;
  while (off + 4 <= len) {
    const uint16_t code = u16(body + off), olen = u16(body + off + 2);
    off += 4;
    if (code == kOptEnd) break;
    if (off + olen > len) break;  // a damaged option list only loses options
    if (code == kOptTsResol && olen >= 1) {
      const uint8_t r = body[off];
      if (r & 0x80) {
        ifc.pow2_exp = r & 0x7F;
        ifc.units_per_second = 0;
        if (ifc.pow2_exp > 63) return fail(ReadStatus::bad_header, at, "if_tsresol out of range");
      } else {
        if (r > 19) return fail(ReadStatus::bad_header, at, "if_tsresol out of range");
        uint64_t u = 1;
        for (uint8_t i = 0; i < r; ++i) u *= 10;
        ifc.units_per_second = u;
      }
    } else if (code == kOptTsOffset && olen >= 8) {
      ifc.offset_seconds = static_cast<int64_t>(
          big_endian_ ? (static_cast<uint64_t>(be32(body + off)) << 32) | be32(body + off + 4)
                      : (static_cast<uint64_t>(le32(body + off + 4)) << 32) | le32(body + off));
    }
    off += (olen + 3u) & ~3u;
  }
  interfaces_.push_back(ifc);
  note_linktype(ifc.linktype);
  return true;
}

int64_t CaptureReader::pcapng_time(const Interface& ifc, uint64_t units) const {
  __int128 ns;
  if (ifc.units_per_second == 0) {
    ns = (static_cast<__int128>(units) * 1000000000) >> ifc.pow2_exp;
  } else if (ifc.units_per_second >= 1000000000) {
    ns = units / (ifc.units_per_second / 1000000000);
  } else {
    ns = static_cast<__int128>(units) * (1000000000 / ifc.units_per_second);
  }
  ns += static_cast<__int128>(ifc.offset_seconds) * 1000000000;
  constexpr __int128 kMax = INT64_MAX;
  return ns > kMax ? INT64_MAX : ns < -kMax ? -INT64_MAX : static_cast<int64_t>(ns);
}

bool CaptureReader::next_pcapng(Frame& frame) {
  for (;;) {
    const uint64_t at = offset();
    const size_t have = fill(8);
    if (!source_->error().empty()) return fail(ReadStatus::io_error, offset(), source_->error());
    if (have == 0) return false;
    if (have < 8) return fail(ReadStatus::truncated, at, "file ends inside a block header");
    const uint8_t* b = buf_.data() + pos_;
    if (be32(b) == kShb) {
      if (!read_section_header(at)) return false;
      continue;
    }
    const uint32_t type = u32(b), total = u32(b + 4);
    if (total < 12 || total % 4 != 0 || total > kMaxBlock)
      return fail(ReadStatus::corrupt, at + 4,
                  "block length " + std::to_string(total) + " is invalid");
    if (fill(total) < total) {
      if (!source_->error().empty()) return fail(ReadStatus::io_error, offset(), source_->error());
      return fail(ReadStatus::truncated, at, "file ends inside a block");
    }
    b = buf_.data() + pos_;
    if (u32(b + total - 4) != total)
      return fail(ReadStatus::corrupt, at + total - 4, "block's trailing length does not match");
    const uint8_t* body = b + 8;
    const uint32_t body_len = total - 12;
    pos_ += total;

    uint32_t ifc_id = 0, caplen = 0, len = 0;
    uint64_t units = 0;
    const uint8_t* data = nullptr;
    switch (type) {
      case kIdb:
        if (!parse_interface(body, body_len, at)) return false;
        continue;
      case kEpb:
      case kOpb:
        // The same layout, but the obsolete block has a 16-bit interface id
        // (then a drop counter) where the enhanced one has 32 bits.
        if (body_len < 20) return fail(ReadStatus::corrupt, at, "packet block too short");
        ifc_id = type == kEpb ? u32(body) : u16(body);
        units = (static_cast<uint64_t>(u32(body + 4)) << 32) | u32(body + 8);
        caplen = u32(body + 12);
        len = u32(body + 16);
        data = body + 20;
        if (caplen > body_len - 20)
          return fail(ReadStatus::corrupt, at, "packet length exceeds its block");
        break;
      case kSpb:
        if (body_len < 4) return fail(ReadStatus::corrupt, at, "simple packet block too short");
        len = u32(body);
        caplen = len < body_len - 4 ? len : body_len - 4;
        data = body + 4;
        break;
      default:
        continue;  // name resolution, statistics, custom blocks: not packets
    }
    if (ifc_id >= interfaces_.size())
      return fail(ReadStatus::corrupt, at,
                  "packet names interface " + std::to_string(ifc_id) + " but only " +
                      std::to_string(interfaces_.size()) + " are described");
    const Interface& ifc = interfaces_[ifc_id];
    frame_returned();
    frame.ts_ns = type == kSpb ? 0 : pcapng_time(ifc, units);
    frame.caplen = caplen;
    frame.wirelen = len < caplen ? caplen : len;
    frame.linktype = ifc.linktype;
    frame.data = data;
    return true;
  }
}

}  // namespace mommy
