// The flow record's columns, in order. This list is exported to JavaScript
// (schema()) and a test checks it against packages/core's flow schema, so
// the two cannot drift apart. Append only where a consumer can cope.
#pragma once
#include <cstdint>

namespace mommy {

enum class ColumnType : uint8_t { u8, u16, u32, u64, f64, timestamp_us, utf8, binary };

const char* column_type_name(ColumnType t);

// X(name, type)
#define MOMMY_FLOW_COLUMNS(X)     \
  X(src_ip, utf8)                 \
  X(src_port, u16)                \
  X(dst_ip, utf8)                 \
  X(dst_port, u16)                \
  X(proto, u8)                    \
  X(ip_version, u8)               \
  X(vlan, u16)                    \
  X(inner_vlan, u16)              \
  X(start_time, timestamp_us)     \
  X(end_time, timestamp_us)       \
  X(pkts_fwd, u64)                \
  X(pkts_rev, u64)                \
  X(bytes_fwd, u64)               \
  X(bytes_rev, u64)               \
  X(payload_bytes_fwd, u64)       \
  X(payload_bytes_rev, u64)       \
  X(tcp_flags_fwd, u8)            \
  X(tcp_flags_rev, u8)            \
  X(syn_count, u32)               \
  X(synack_count, u32)            \
  X(fin_count, u32)               \
  X(rst_count, u32)               \
  X(psh_count, u32)               \
  X(ack_count, u32)               \
  X(urg_count, u32)               \
  X(ece_count, u32)               \
  X(cwr_count, u32)               \
  X(conn_state, utf8)             \
  X(end_reason, utf8)             \
  X(pkt_size_min_fwd, u32)        \
  X(pkt_size_max_fwd, u32)        \
  X(pkt_size_mean_fwd, f64)       \
  X(pkt_size_std_fwd, f64)        \
  X(pkt_size_min_rev, u32)        \
  X(pkt_size_max_rev, u32)        \
  X(pkt_size_mean_rev, f64)       \
  X(pkt_size_std_rev, f64)        \
  X(iat_min_us, f64)              \
  X(iat_max_us, f64)              \
  X(iat_mean_us, f64)             \
  X(iat_std_us, f64)              \
  X(ttl_min, u8)                  \
  X(ttl_max, u8)                  \
  X(community_id, utf8)           \
  X(payload_fwd, binary)          \
  X(payload_rev, binary)

enum class Col : uint8_t {
#define MOMMY_COL_ENUM(name, type) name,
  MOMMY_FLOW_COLUMNS(MOMMY_COL_ENUM)
#undef MOMMY_COL_ENUM
  count_
};
constexpr int kColumnCount = static_cast<int>(Col::count_);

struct ColumnSpec {
  const char* name;
  ColumnType type;
};
extern const ColumnSpec kFlowColumns[kColumnCount];

}  // namespace mommy
