// ARP (RFC 826) for IPv4 over Ethernet-like hardware: a request or reply
// becomes a "packet" from the sender's protocol address to the target's, so
// that a host asking for many addresses (an ARP sweep, the way scanners
// discover a LAN) shows as flows like any other sweep. Other hardware or
// protocol types, and other operations (RARP, InARP), are not IP.
#include <cstring>

#include "decode/layers.h"

namespace mommy::decode {

namespace {
constexpr uint32_t kArpIpv4Len = 28;  // htype, ptype, hlen, plen, oper, sha, spa, tha, tpa
constexpr uint16_t kHardwareEthernet = 1;
constexpr uint16_t kProtocolIpv4 = 0x0800;
constexpr uint16_t kRequest = 1, kReply = 2;
}  // namespace

Anomaly arp(Layer in, Decoded& out) {
  if (in.cap < 8) return Anomaly::arp_truncated;
  const uint8_t* p = in.p;
  if (be16(p) != kHardwareEthernet || be16(p + 2) != kProtocolIpv4 || p[4] != 6 || p[5] != 4) return Anomaly::not_ip;
  const uint16_t op = be16(p + 6);
  if (op != kRequest && op != kReply) return Anomaly::not_ip;
  if (in.cap < kArpIpv4Len) return Anomaly::arp_truncated;
  out.arp = true;
  out.ip_version = 4;
  out.proto = 0;
  out.ttl = 0;
  out.ip_bytes = kArpIpv4Len;
  std::memcpy(out.src, p + 14, 4);
  std::memcpy(out.dst, p + 24, 4);
  return Anomaly::ok;
}

}  // namespace mommy::decode
