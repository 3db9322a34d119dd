#!/usr/bin/env python3
"""A process that tries to join other sockets' PACKET_FANOUT groups.

Used by test/live.test.ts, started inside the test's network namespace with
`ip netns exec <ns> python3 fanout-intruder.py <interface> [--steal]` while a
multi-worker capture runs on <interface>.

Why it does not simply loop over ids 0..65535 on one socket: a socket can be
in one fanout group only (later joins fail with EALREADY), and joining an id
no group has yet *creates* that group. So a blind scan needs a socket for
every id it misses, and each close of a packet socket waits for an RCU grace
period (about 10 ms here): a full scan takes minutes. A real intruder does
not need it either, and this one finds the ids the way one would:

  * sock_diag (PACKET_DIAG_FANOUT, what `ss -0` reads) lists the fanout id
    of every packet socket in the namespace;
  * the kernel hands out PACKET_FANOUT_FLAG_UNIQUEID ids from one counter
    that counts up, so asking for one reveals the ids given out just before.

For every candidate id that belongs to an existing group (see group_exists)
it opens a fresh socket bound to <interface> and tries to join as
PACKET_FANOUT_CBPF (what the capture's workers use) and as PACKET_FANOUT_HASH,
ignoring errors. With --steal it also replaces the program of every group it
joined with one that sends every packet to itself (PACKET_FANOUT_DATA, which
any member may set).

stdout, one JSON object a line:
  {"type":"ready","groups":[...],"candidates":[...],"joined":[...],"stealing":[...]}
      groups: [id, type] of every fanout group seen through sock_diag (null if
      sock_diag is unavailable); joined: ids of groups that existed before and
      that this process is now a member of.
  {"type":"end","received":{"<id>":frames}}  frames that reached each joined socket
It ends on "stop" or end of stdin, or after 30 s.
"""
import ctypes
import errno
import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_FANOUT = 18
PACKET_FANOUT_DATA = 22
PACKET_FANOUT_HASH = 0
PACKET_FANOUT_CBPF = 6
PACKET_FANOUT_FLAG_ROLLOVER = 0x1000
PACKET_FANOUT_FLAG_UNIQUEID = 0x2000
PACKET_FANOUT_FLAG_IGNORE_OUTGOING = 0x4000
PACKET_FANOUT_FLAG_DEFRAG = 0x8000
# Flags for probing whether a group exists (see group_exists).
PROBE_FLAGS = PACKET_FANOUT_FLAG_ROLLOVER | PACKET_FANOUT_FLAG_IGNORE_OUTGOING | PACKET_FANOUT_FLAG_DEFRAG
NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST_DUMP = 0x301
NLMSG_ERROR, NLMSG_DONE = 2, 3
PACKET_SHOW_FANOUT = 0x08
PACKET_DIAG_FANOUT = 4
BPF_RET_K = 0x06
MAX_SECONDS = 30


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fanout_sockets():
    """(inode, fanout id, fanout type) of every packet socket in a fanout group, or None."""
    try:
        nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    except OSError:
        return None
    with nl:
        # struct packet_diag_req: family, protocol, pad, ino, show, cookie[2]
        req = struct.pack("=BBHIIII", socket.AF_PACKET, 0, 0, 0, PACKET_SHOW_FANOUT, 0, 0)
        nl.send(struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST_DUMP, 1, 0) + req)
        found = []
        nl.settimeout(2)
        while True:
            data = nl.recv(1 << 16)
            off = 0
            while off + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, off)
                if kind == NLMSG_DONE:
                    return found
                if kind == NLMSG_ERROR or length < 16:
                    return None
                # struct packet_diag_msg: family, type, num, ino, cookie[2]; then attributes
                ino = struct.unpack_from("=I", data, off + 16 + 4)[0]
                a = off + 16 + 16
                while a + 4 <= off + length:
                    alen, atype = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atype == PACKET_DIAG_FANOUT:
                        val = struct.unpack_from("=I", data, a + 4)[0]
                        found.append((ino, val & 0xFFFF, (val >> 16) & 0xFF))
                    a += (alen + 3) & ~3
                off += (length + 3) & ~3


_keep = []


def _address_of(buf):
    """Address of a copy of `buf` that lives as long as the process (for struct sock_fprog)."""
    c = ctypes.create_string_buffer(buf, len(buf))
    _keep.append(c)
    return ctypes.addressof(c)


def bound_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((ifname, ETH_P_ALL))
    return s


def try_join(s, group_id, kind, flags=0):
    try:
        s.setsockopt(SOL_PACKET, PACKET_FANOUT, struct.pack("=I", (group_id & 0xFFFF) | ((kind | flags) << 16)))
        return True
    except OSError:
        return False


def group_exists(ifname, group_id):
    """Whether a fanout group `group_id` exists, without joining it.

    Asks to join with flags no capture sets: an existing group refuses
    (EINVAL, its flags differ), while a free id is created and joined, and
    closing the socket removes that group again.
    """
    s = bound_socket(ifname)
    try:
        return not try_join(s, group_id, PACKET_FANOUT_CBPF, PROBE_FLAGS)
    finally:
        s.close()


def main():
    ifname = sys.argv[1]
    steal = "--steal" in sys.argv[2:]
    deadline = time.monotonic() + MAX_SECONDS

    listed = fanout_sockets()
    groups = None if listed is None else sorted({(gid, kind) for _ino, gid, kind in listed})

    # The id the kernel hands out next; the ones just below were handed out last.
    probe = bound_socket(ifname)
    next_id = None
    if try_join(probe, 0, PACKET_FANOUT_CBPF, PACKET_FANOUT_FLAG_UNIQUEID):
        next_id = struct.unpack("=I", probe.getsockopt(SOL_PACKET, PACKET_FANOUT, 4))[0] & 0xFFFF
    probe.close()
    candidates = [gid for gid, _kind in groups or []]
    if next_id is not None:
        candidates += [(next_id - k) & 0xFFFF for k in range(1, 9) if (next_id - k) & 0xFFFF not in candidates]

    held = []  # (id, socket): groups that existed and that this process joined
    for gid in candidates:
        if not group_exists(ifname, gid):
            continue
        for kind in (PACKET_FANOUT_CBPF, PACKET_FANOUT_HASH):
            s = bound_socket(ifname)
            if try_join(s, gid, kind):
                held.append((gid, s))
            else:
                s.close()

    stealing = []
    if steal:
        # A member may set the group's program. It returns 720719: 720720 is
        # a multiple of every n <= 16, so (720720 - 1) % n == n - 1, the last
        # member, which is the socket that joined last: this one.
        prog = struct.pack("=HBBI", BPF_RET_K, 0, 0, 720719)
        # struct sock_fprog: len, 6 bytes of padding, pointer to the instructions.
        fprog = struct.pack("=HxxxxxxQ", 1, _address_of(prog))
        for gid, s in held:
            try:
                s.setsockopt(SOL_PACKET, PACKET_FANOUT_DATA, fprog)
                stealing.append(gid)
            except OSError:
                pass

    joined = [gid for gid, _s in held]
    send({"type": "ready", "groups": groups, "candidates": candidates, "joined": joined, "stealing": stealing})

    received = {str(gid): 0 for gid in joined}
    watched = {s.fileno(): (gid, s) for gid, s in held}
    for _gid, s in held:
        s.setblocking(False)
    stdin = sys.stdin.fileno()
    done = False
    while not done and time.monotonic() < deadline:
        ready, _, _ = select.select([stdin, *watched], [], [], 0.1)
        for fd in ready:
            if fd == stdin:
                line = os.read(stdin, 4096)
                if not line or b"stop" in line:
                    done = True
                continue
            gid, s = watched[fd]
            while True:
                try:
                    s.recv(1 << 16)
                except OSError as e:
                    if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                        break
                    raise
                received[str(gid)] += 1
    send({"type": "end", "received": received})
    # The few sockets held here close at exit.


if __name__ == "__main__":
    main()
