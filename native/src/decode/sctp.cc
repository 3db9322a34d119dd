// SCTP (RFC 9260) common header: only the ports, which Community ID hashes
// as it does TCP's and UDP's.
#include "decode/layers.h"

namespace mommy::decode {

constexpr uint32_t kSctpCommonHeader = 12;

Anomaly sctp(Layer in, Decoded& out) {
  if (in.cap < kSctpCommonHeader) return Anomaly::sctp_truncated;
  out.has_ports = true;
  out.src_port = be16(in.p);
  out.dst_port = be16(in.p + 2);
  out.payload = in.p + kSctpCommonHeader;
  out.payload_cap = in.cap - kSctpCommonHeader;
  out.payload_len = in.wire - kSctpCommonHeader;
  return Anomaly::ok;
}

}  // namespace mommy::decode
