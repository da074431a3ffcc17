"""vsmartcard's stock Python card (vicc, iso7816 type) with TCP_QUICKACK re-armed before every receive.

Without it, Debian 12's vpcd 0.8 costs every APDU 40 ms (research/virtual-reader.md section 6), which would
measure the Nagle stall, not vicc. Debian's package needs two path fixes: its module sits outside sys.path,
and it imports "Crypto" while Debian ships pycryptodome as "Cryptodome" (a symlink folder is made for that).
Usage: /usr/bin/python3 vicc-quickack.py PORT
"""
import atexit
import logging
import os
import shutil
import socket
import sys
import tempfile

compat = tempfile.mkdtemp(prefix="mynaconf-vicc-")
atexit.register(shutil.rmtree, compat, True)
os.symlink("/usr/lib/python3/dist-packages/Cryptodome", os.path.join(compat, "Crypto"))
sys.path[:0] = ["/usr/lib/python3/site-packages/virtualsmartcard", compat]

from virtualsmartcard.VirtualSmartcard import VirtualICC  # noqa: E402


class QuickAckSocket:
    """Forwards everything to the real socket, re-arming quick ACKs before each recv (the flag is not sticky)."""

    def __init__(self, inner):
        self._inner = inner

    def recv(self, *arguments):
        self._inner.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return self._inner.recv(*arguments)

    def __getattr__(self, name):
        return getattr(self._inner, name)


card = VirtualICC(None, "iso7816", "localhost", int(sys.argv[1]), logginglevel=logging.CRITICAL)
card.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
card.sock = QuickAckSocket(card.sock)
print("ready port=%s" % sys.argv[1], flush=True)
card.run()
