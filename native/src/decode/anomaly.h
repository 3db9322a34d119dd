// Every packet the decoder refuses gets one of these names and a counter.
// Names are stable snake_case: they appear in stats, in the CLI's --stats line
// and in the captures table, so only ever append.
#pragma once
#include <cstdint>

namespace mommy {

// X(name, class): the class groups reasons the way users ask about them
// ("how much was not IP?", "how much was damaged?").
#define MOMMY_ANOMALIES(X)                  \
  X(unsupported_linktype, unsupported)      \
  X(not_ip, not_ip)                         \
  X(link_truncated, truncated)              \
  X(vlan_truncated, truncated)              \
  X(vlan_too_deep, malformed)               \
  X(mpls_truncated, truncated)              \
  X(mpls_too_deep, malformed)               \
  X(mpls_unknown_payload, not_ip)           \
  X(pppoe_truncated, truncated)             \
  X(nflog_malformed, malformed)             \
  X(ipv4_truncated, truncated)              \
  X(ipv4_bad_version, malformed)            \
  X(ipv4_bad_header_len, malformed)         \
  X(ipv4_bad_total_len, malformed)          \
  X(ipv6_truncated, truncated)              \
  X(ipv6_bad_version, malformed)            \
  X(ipv6_bad_payload_len, malformed)        \
  X(ipv6_ext_truncated, truncated)          \
  X(ipv6_too_many_ext, malformed)           \
  X(tcp_truncated, truncated)               \
  X(tcp_bad_offset, malformed)              \
  X(udp_truncated, truncated)               \
  X(sctp_truncated, truncated)              \
  X(icmp_truncated, truncated)              \
  X(fragment_orphan, malformed)             \
  X(arp_truncated, truncated)

enum class Anomaly : uint8_t {
  ok = 0,
#define MOMMY_ANOMALY_ENUM(name, cls) name,
  MOMMY_ANOMALIES(MOMMY_ANOMALY_ENUM)
#undef MOMMY_ANOMALY_ENUM
  count_
};

// Real anomalies are numbered 1..kAnomalyCount (0 is ok).
constexpr int kAnomalyCount = static_cast<int>(Anomaly::count_) - 1;

const char* anomaly_name(Anomaly a);
const char* anomaly_class(Anomaly a);

}  // namespace mommy
