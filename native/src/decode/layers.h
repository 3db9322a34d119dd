// One decoder per layer, all with the same shape: take the bytes that belong
// to this layer and beyond, check lengths before reading, fill `out`, hand the
// rest to the next layer. Private to decode/.
#pragma once
#include "decode/packet.h"

namespace mommy::decode {

// Nested link-layer headers (VLAN tags, MPLS labels, PPPoE) stop here; a
// crafted frame of endless tags must not recurse without limit.
constexpr int kMaxLinkLayers = 8;
constexpr int kMaxVlanTags = 4;

Anomaly ethernet(Layer in, Decoded& out);
// Dispatch on an EtherType (Ethernet, VLAN, SLL, SLL2 all end in one).
Anomaly ethertype(uint16_t type, Layer in, Decoded& out, int depth);
Anomaly vlan(Layer in, Decoded& out, int depth);
Anomaly mpls(Layer in, Decoded& out, int depth);
Anomaly pppoe_session(Layer in, Decoded& out);
Anomaly ppp(Layer in, Decoded& out);
Anomaly sll(Layer in, Decoded& out);
Anomaly sll2(Layer in, Decoded& out);
Anomaly null_loopback(Layer in, Decoded& out, bool network_order);
Anomaly nflog(Layer in, Decoded& out);
// ARP for IPv4: sender and target protocol addresses as src and dst.
Anomaly arp(Layer in, Decoded& out);
Anomaly ppi(Layer in, Decoded& out);

// Raw IP: the version nibble says which.
Anomaly ip_any(Layer in, Decoded& out);
Anomaly ipv4(Layer in, Decoded& out);
Anomaly ipv6(Layer in, Decoded& out);

// Dispatch on an IP protocol number. `in.wire` is the transport length the IP
// header announced.
Anomaly transport(uint8_t proto, Layer in, Decoded& out);
// The same for the first fragment of a fragmented datagram, which may hold
// only part of the transport header.
Anomaly first_fragment_transport(uint8_t proto, Layer in, Decoded& out);
Anomaly tcp(Layer in, Decoded& out);
Anomaly udp(Layer in, Decoded& out);
Anomaly sctp(Layer in, Decoded& out);
Anomaly icmp(Layer in, Decoded& out);

}  // namespace mommy::decode
