// One flow's accumulated state, and the options that decide when flows end.
// Direction 0 is "forward": the side that sent the first packet.
#pragma once
#include <cstdint>

#include "decode/packet.h"
#include "flow/key.h"
#include "flow/tcp_state.h"

namespace mommy {

enum class EndReason : uint8_t { fin, rst, idle, active, eof, evicted };
const char* end_reason_name(EndReason r);

struct FlowOptions {
  // Idle timeouts per protocol, in seconds (Zeek's tcp/udp/icmp inactivity
  // timeouts). Other IP protocols use `other_idle`.
  double tcp_idle = 300;
  double udp_idle = 60;
  double icmp_idle = 60;
  double other_idle = 60;
  // After both FINs or a RST, late packets (final ACK, retransmitted RST)
  // still belong to the connection for this long (Zeek's tcp_close_delay).
  double tcp_close = 5;
  // Long flows emit an interim record every `active` seconds (NetFlow's
  // active timeout), so a week-long connection is visible before it ends.
  double active = 1800;
  // Hard bound on concurrent flows; past it the oldest idle flow is evicted.
  uint32_t max_flows = 1000000;
  // Bytes of payload kept from the start of each direction.
  uint32_t payload_bytes = 128;
};

constexpr uint32_t kNil = UINT32_MAX;

enum class FlagIndex : uint8_t { syn, synack, fin, rst, psh, ack, urg, ece, cwr, count_ };
constexpr int kFlagCounters = static_cast<int>(FlagIndex::count_);

// Fields are grouped by size (8, 4, 2, 1 bytes) so the record has no
// padding holes: at a million concurrent flows every byte here is a MB.
struct Flow {
  FlowKey key;
  int64_t first_ns, last_ns;  // packet times of this record
  int64_t touch_clock;        // table clock at the last packet
  int64_t queued_clock;       // table clock when it last went to its idle list's tail (orders that list)
  int64_t record_clock;       // table clock when this record began (orders the age list)
  uint64_t pkts[2], bytes[2], payload_bytes[2];
  double size_sumsq[2];
  double iat_sumsq_us;
  uint8_t* prefix;            // 2 * payload_bytes when a direction had payload
  // Intrusive list links (pool indices): the idle list of the flow's timeout
  // class, and the age list, ordered by the start of the current record (for
  // the active timeout).
  uint32_t idle_prev, idle_next, age_prev, age_next;
  uint32_t hash;              // of the key, with the table's seed
  uint32_t size_min[2], size_max[2];
  uint32_t flag_counts[kFlagCounters];
  float iat_min_us, iat_max_us;  // float keeps 7 digits: ample for a gap
  uint16_t prefix_len[2];
  uint16_t out_src_port, out_dst_port;  // as the first packet had them (ICMP: type, code)
  TcpTracker tcp;
  uint8_t flags[2];
  uint8_t ttl_min, ttl_max;
  uint8_t idle_class;
  bool fwd_is_lo;             // the forward side is the key's first endpoint
  bool closing;               // TCP finished, waiting out the close delay

  const uint8_t* src_addr() const { return fwd_is_lo ? key.addr_lo : key.addr_hi; }
  const uint8_t* dst_addr() const { return fwd_is_lo ? key.addr_hi : key.addr_lo; }
  uint64_t total_pkts() const { return pkts[0] + pkts[1]; }
};

}  // namespace mommy
