#include "flow/tcp_state.h"

#include "decode/packet.h"

namespace mommy {

void TcpTracker::on_packet(int dir, uint8_t flags) {
  TcpEndpoint& self = ep[dir];
  TcpEndpoint& peer = ep[1 - dir];
  const bool syn = flags & tcpflag::kSyn, ack = flags & tcpflag::kAck;

  if (dir == 0) {
    if (self == TcpEndpoint::inactive && syn && !ack) orig_syn_only = true;
    else if (!(flags & tcpflag::kRst) && (ack || (flags & tcpflag::kFin))) orig_syn_only = false;
  }

  if (flags & tcpflag::kRst) {
    self = TcpEndpoint::reset;
    return;
  }
  if (self == TcpEndpoint::reset) return;
  if (flags & tcpflag::kFin) {
    self = TcpEndpoint::closed;
    return;
  }
  if (syn) {
    if (self == TcpEndpoint::inactive) self = ack ? TcpEndpoint::syn_ack_sent : TcpEndpoint::syn_sent;
    return;
  }
  switch (self) {
    case TcpEndpoint::inactive:
      self = TcpEndpoint::partial;
      break;
    case TcpEndpoint::syn_sent:
      // The handshake's third packet: the originator acknowledges the SYN-ACK.
      if (ack && (peer == TcpEndpoint::syn_ack_sent || peer == TcpEndpoint::established)) {
        self = TcpEndpoint::established;
        if (peer == TcpEndpoint::syn_ack_sent) peer = TcpEndpoint::established;
      }
      break;
    case TcpEndpoint::syn_ack_sent:
      if (peer == TcpEndpoint::established || peer == TcpEndpoint::closed) self = TcpEndpoint::established;
      break;
    default:
      break;
  }
}

bool TcpTracker::finished() const {
  return any_reset() || (ep[0] == TcpEndpoint::closed && ep[1] == TcpEndpoint::closed);
}

const char* conn_state_name(ConnState s) {
  static const char* const kNames[] = {"S0",   "S1",   "SF",     "REJ",   "S2", "S3", "RSTO",
                                       "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"};
  return kNames[static_cast<int>(s)];
}

ConnState conn_state(uint8_t proto, const TcpTracker& tcp, uint64_t pkts_orig, uint64_t pkts_resp,
                     uint64_t payload_orig, uint64_t payload_resp) {
  if (proto == 17) {
    if (pkts_orig > 0) return pkts_resp > 0 ? ConnState::SF : ConnState::S0;
    return pkts_resp > 0 ? ConnState::SHR : ConnState::OTH;
  }
  if (proto != 6) return ConnState::OTH;

  using E = TcpEndpoint;
  const E os = tcp.ep[0], rs = tcp.ep[1];
  const bool o_inactive = os == E::inactive || os == E::partial;
  const bool r_inactive = rs == E::inactive || rs == E::partial;

  if (rs == E::reset) {
    if (os == E::syn_sent || os == E::syn_ack_sent ||
        (os == E::reset && payload_orig == 0 && payload_resp == 0))
      return ConnState::REJ;
    return o_inactive ? ConnState::RSTRH : ConnState::RSTR;
  }
  if (os == E::reset) {
    if (r_inactive) return tcp.orig_syn_only ? ConnState::RSTOS0 : ConnState::OTH;
    return ConnState::RSTO;
  }
  if (rs == E::closed && os == E::closed) return ConnState::SF;
  if (os == E::closed) return r_inactive ? ConnState::SH : ConnState::S2;
  if (rs == E::closed) return o_inactive ? ConnState::SHR : ConnState::S3;
  if (os == E::syn_sent && rs == E::inactive) return ConnState::S0;
  if (os == E::established && rs == E::established) return ConnState::S1;
  return ConnState::OTH;
}

}  // namespace mommy
