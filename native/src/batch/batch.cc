#include "batch/batch.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "flow/community_id.h"

namespace mommy {

OwnedBuffer::OwnedBuffer(OwnedBuffer&& o) noexcept
    : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
  o.data_ = nullptr;
  o.size_ = o.capacity_ = 0;
}

OwnedBuffer& OwnedBuffer::operator=(OwnedBuffer&& o) noexcept {
  if (this != &o) {
    std::free(data_);
    data_ = o.data_;
    size_ = o.size_;
    capacity_ = o.capacity_;
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  return *this;
}

void OwnedBuffer::reserve(size_t bytes) {
  if (bytes <= capacity_) return;
  size_t cap = capacity_ ? capacity_ : 64;
  while (cap < bytes) cap *= 2;
  auto* p = static_cast<uint8_t*>(std::realloc(data_, cap));
  if (!p) throw std::bad_alloc();
  data_ = p;
  capacity_ = cap;
}

uint8_t* OwnedBuffer::grow(size_t n) {
  reserve(size_ + n);
  uint8_t* at = data_ + size_;
  size_ += n;
  return at;
}

void OwnedBuffer::append(const void* src, size_t n) {
  if (n) std::memcpy(grow(n), src, n);
}

void OwnedBuffer::shrink_to_fit() {
  if (size_ == 0 || capacity_ <= 2 * size_) return;
  if (auto* p = static_cast<uint8_t*>(std::realloc(data_, size_))) {
    data_ = p;
    capacity_ = size_;
  }
}

uint8_t* OwnedBuffer::release() {
  uint8_t* p = data_;
  data_ = nullptr;
  size_ = capacity_ = 0;
  return p;
}

namespace {
size_t fixed_width(ColumnType t) {
  switch (t) {
    case ColumnType::u8: return 1;
    case ColumnType::u16: return 2;
    case ColumnType::u32: return 4;
    case ColumnType::u64:
    case ColumnType::f64:
    case ColumnType::timestamp_us: return 8;
    case ColumnType::utf8:
    case ColumnType::binary: return 0;
  }
  return 0;
}

// Dotted decimal without sprintf (inet_ntop's cost shows in profiles).
size_t format_ipv4(const uint8_t* a, char* out) {
  char* p = out;
  for (int i = 0; i < 4; ++i) {
    const unsigned v = a[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  return static_cast<size_t>(p - out);
}

size_t format_ip(uint8_t version, const uint8_t* addr, char* out) {
  if (version == 4) return format_ipv4(addr, out);
  inet_ntop(AF_INET6, addr, out, INET6_ADDRSTRLEN);
  return std::strlen(out);
}
}  // namespace

BatchBuilder::BatchBuilder(uint32_t capacity) : capacity_(capacity ? capacity : 1) {}

void BatchBuilder::start() {
  batch_ = std::make_unique<Batch>();
  batch_->columns.resize(kColumnCount);
  for (int i = 0; i < kColumnCount; ++i) {
    ColumnData& col = batch_->columns[i];
    const size_t w = fixed_width(kFlowColumns[i].type);
    if (w) {
      col.values.reserve(w * capacity_);
    } else {
      col.offsets.reserve(4 * (static_cast<size_t>(capacity_) + 1));
      const int32_t zero = 0;
      col.offsets.append(&zero, 4);
    }
  }
}

std::unique_ptr<Batch> BatchBuilder::take() {
  if (!batch_ || batch_->rows == 0) return nullptr;
  for (int i = 0; i < kColumnCount; ++i) {
    ColumnData& col = batch_->columns[i];
    if (const size_t w = fixed_width(kFlowColumns[i].type)) col.values.set_size(w * batch_->rows);
    col.values.shrink_to_fit();
    col.offsets.shrink_to_fit();
  }
  return std::move(batch_);
}

void BatchBuilder::mark_null(ColumnData& col) {
  if (col.validity.size() == 0) {
    const size_t bytes = (static_cast<size_t>(capacity_) + 7) / 8;
    std::memset(col.validity.grow(bytes), 0xFF, bytes);
  }
  const uint32_t row = batch_->rows;
  col.validity.data()[row >> 3] &= static_cast<uint8_t>(~(1u << (row & 7)));
  ++col.null_count;
}

void BatchBuilder::put_bytes(Col c, const void* p, size_t n) {
  ColumnData& col = batch_->columns[static_cast<int>(c)];
  col.values.append(p, n);
  const int32_t end = static_cast<int32_t>(col.values.size());
  col.offsets.append(&end, 4);
}

bool BatchBuilder::append(const Flow& f, EndReason reason, const PayloadPrefixes& prefixes) {
  if (!batch_) start();
  const uint8_t v = f.key.ip_version;
  char ip[INET6_ADDRSTRLEN];

  put_bytes(Col::src_ip, ip, format_ip(v, f.src_addr(), ip));
  put<uint16_t>(Col::src_port, f.out_src_port);
  put_bytes(Col::dst_ip, ip, format_ip(v, f.dst_addr(), ip));
  put<uint16_t>(Col::dst_port, f.out_dst_port);
  // An ARP exchange has no IP protocol, and no Community ID (the spec covers IP only).
  if (f.key.arp)
    put_null<uint8_t>(Col::proto);
  else
    put<uint8_t>(Col::proto, f.key.proto);
  put<uint8_t>(Col::ip_version, v);
  put<uint16_t>(Col::vlan, f.key.vlan);
  put<uint16_t>(Col::inner_vlan, f.key.inner_vlan);
  put<int64_t>(Col::start_time, f.first_ns / 1000);
  put<int64_t>(Col::end_time, f.last_ns / 1000);
  put<uint64_t>(Col::pkts_fwd, f.pkts[0]);
  put<uint64_t>(Col::pkts_rev, f.pkts[1]);
  put<uint64_t>(Col::bytes_fwd, f.bytes[0]);
  put<uint64_t>(Col::bytes_rev, f.bytes[1]);
  put<uint64_t>(Col::payload_bytes_fwd, f.payload_bytes[0]);
  put<uint64_t>(Col::payload_bytes_rev, f.payload_bytes[1]);
  put<uint8_t>(Col::tcp_flags_fwd, f.flags[0]);
  put<uint8_t>(Col::tcp_flags_rev, f.flags[1]);
  static_assert(static_cast<int>(Col::cwr_count) - static_cast<int>(Col::syn_count) + 1 == kFlagCounters,
                "one column per TCP flag counter, in FlagIndex order");
  for (int i = 0; i < kFlagCounters; ++i)
    put<uint32_t>(static_cast<Col>(static_cast<int>(Col::syn_count) + i), f.flag_counts[i]);

  // ARP as Zeek counts UDP: answered (SF) or not (S0).
  const char* state = conn_state_name(
      f.key.arp ? (f.pkts[1] > 0 ? ConnState::SF : ConnState::S0)
                : conn_state(f.key.proto, f.tcp, f.pkts[0], f.pkts[1], f.payload_bytes[0], f.payload_bytes[1]));
  put_bytes(Col::conn_state, state, std::strlen(state));
  const char* why = end_reason_name(reason);
  put_bytes(Col::end_reason, why, std::strlen(why));

  // Packet-size statistics per direction; null for a direction with no packets.
  const Col first_size_col[2] = {Col::pkt_size_min_fwd, Col::pkt_size_min_rev};
  for (int d = 0; d < 2; ++d) {
    const int base = static_cast<int>(first_size_col[d]);
    if (f.pkts[d] == 0) {
      put_null<uint32_t>(static_cast<Col>(base));
      put_null<uint32_t>(static_cast<Col>(base + 1));
      put_null<double>(static_cast<Col>(base + 2));
      put_null<double>(static_cast<Col>(base + 3));
      continue;
    }
    const double n = static_cast<double>(f.pkts[d]);
    const double mean = static_cast<double>(f.bytes[d]) / n;
    put<uint32_t>(static_cast<Col>(base), f.size_min[d]);
    put<uint32_t>(static_cast<Col>(base + 1), f.size_max[d]);
    put<double>(static_cast<Col>(base + 2), mean);
    put<double>(static_cast<Col>(base + 3), std::sqrt(std::fmax(0.0, f.size_sumsq[d] / n - mean * mean)));
  }

  // Inter-arrival statistics over both directions; null below two packets.
  const uint64_t pkts = f.total_pkts();
  if (pkts < 2) {
    put_null<double>(Col::iat_min_us);
    put_null<double>(Col::iat_max_us);
    put_null<double>(Col::iat_mean_us);
    put_null<double>(Col::iat_std_us);
  } else {
    const double gaps = static_cast<double>(pkts - 1);
    const double mean = static_cast<double>(f.last_ns - f.first_ns) / 1000.0 / gaps;
    put<double>(Col::iat_min_us, f.iat_min_us);
    put<double>(Col::iat_max_us, f.iat_max_us);
    put<double>(Col::iat_mean_us, mean);
    put<double>(Col::iat_std_us, std::sqrt(std::fmax(0.0, f.iat_sumsq_us / gaps - mean * mean)));
  }
  put<uint8_t>(Col::ttl_min, f.ttl_min);
  put<uint8_t>(Col::ttl_max, f.ttl_max);

  if (f.key.arp) {
    put_bytes(Col::community_id, "", 0);
    mark_null(batch_->columns[static_cast<int>(Col::community_id)]);
  } else {
    const std::string cid = community_id_v1(
        CommunityIdInput{v, f.key.proto, f.src_addr(), f.dst_addr(), f.out_src_port, f.out_dst_port});
    put_bytes(Col::community_id, cid.data(), cid.size());
  }
  for (int d = 0; d < 2; ++d) {
    const uint8_t* p = prefixes.at[d];
    put_bytes(d == 0 ? Col::payload_fwd : Col::payload_rev, p, p ? f.prefix_len[d] : 0);
  }
  return ++batch_->rows >= capacity_;
}

}  // namespace mommy
