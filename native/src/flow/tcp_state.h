// Per-endpoint TCP state, and Zeek's conn_state summary derived from it
// (base/protocols/conn/main.zeek, function conn_state). Endpoint 0 is the
// originator (the side that sent the first packet), 1 the responder.
#pragma once
#include <cstdint>

namespace mommy {

enum class TcpEndpoint : uint8_t { inactive, syn_sent, syn_ack_sent, partial, established, closed, reset };

struct TcpTracker {
  TcpEndpoint ep[2] = {TcpEndpoint::inactive, TcpEndpoint::inactive};
  // Zeek's RSTOS0 pattern (history ^S[^HAFGIQ]*R): the originator opened with
  // a SYN and then sent nothing but the RST.
  bool orig_syn_only = false;

  void on_packet(int dir, uint8_t flags);
  // Both sides closed, or either reset: the connection is over.
  bool finished() const;
  bool any_reset() const { return ep[0] == TcpEndpoint::reset || ep[1] == TcpEndpoint::reset; }
};

enum class ConnState : uint8_t { S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH };

const char* conn_state_name(ConnState s);

// proto: IANA number. payload totals feed Zeek's REJ test.
ConnState conn_state(uint8_t proto, const TcpTracker& tcp, uint64_t pkts_orig, uint64_t pkts_resp,
                     uint64_t payload_orig, uint64_t payload_resp);

}  // namespace mommy
