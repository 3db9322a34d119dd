// Link-type dispatch: the one place that maps a capture's link type to the
// decoder of its first header. Unknown link types are counted, never guessed.
#include "decode/layers.h"

namespace mommy {

Anomaly decode_frame(const Frame& frame, Decoded& out) {
  out = Decoded{};
  Layer in{frame.data, frame.caplen, frame.wirelen < frame.caplen ? frame.caplen : frame.wirelen};
  switch (frame.linktype) {
    case linktype::kEthernet: return decode::ethernet(in, out);
    case linktype::kLinuxSll: return decode::sll(in, out);
    case linktype::kLinuxSll2: return decode::sll2(in, out);
    case linktype::kRaw:
    case linktype::kRawAlt12:
    case linktype::kRawAlt14: return decode::ip_any(in, out);
    case linktype::kIpv4: return decode::ipv4(in, out);
    case linktype::kIpv6: return decode::ipv6(in, out);
    case linktype::kNull: return decode::null_loopback(in, out, false);
    case linktype::kLoop: return decode::null_loopback(in, out, true);
    case linktype::kNflog: return decode::nflog(in, out);
    case linktype::kPpi: return decode::ppi(in, out);
    case linktype::kPpp: return decode::ppp(in, out);
    case linktype::kPppEther: return decode::pppoe_session(in, out);
    default: return Anomaly::unsupported_linktype;
  }
}

}  // namespace mommy
