"""NETCONF requests written onto the SSH channel by the thread that sends them.

ncclient 0.7 queues each outgoing message for its session thread, which
looks at the queue once per ``TICK``; :func:`send_directly` makes a session
write its requests at once instead (RFC 6242 framing, :func:`frame`).  Used
by :class:`southbound.netconf.NetconfSession` on every session it opens.
"""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import Any

from ncclient.operations import TimeoutExpiredError
from ncclient.transport import session as nc_session
from ncclient.transport.errors import SessionCloseError, TransportError

from southbound.errors import SouthboundError


class UnsupportedNcclient(SouthboundError):
    """The installed ncclient lacks the session internals that direct sends use."""


class Framing(StrEnum):
    """How NETCONF messages are delimited on SSH (RFC 6242, Section 4.1)."""

    END_OF_MESSAGE = "end-of-message"  # base:1.0, Section 4.3
    CHUNKED = "chunked"  # base:1.1, Section 4.2: both peers advertised it


def frame(message: bytes, framing: Framing) -> bytes:
    """``message`` as it goes on the wire: one chunk (RFC 6242, Section 4.2) or ``]]>]]>``.

    The same bytes ncclient 0.7's ``Session.run`` writes for a queued message.
    """
    if framing is Framing.CHUNKED:
        return b"\n#%d\n%s\n##\n" % (len(message), message)
    return message + b"]]>]]>"


def send_directly(session: Any, *, timeout: float) -> Framing:
    """Make ``session`` write each request from the thread that sends it; returns its framing.

    ncclient's ``Session.send`` only queues a message, and the session's thread
    takes it from the queue once per ``TICK``: that adds up to a TICK to every
    RPC, and a low TICK wakes every session's thread that often, each time
    taking the GIL from the threads doing real work.  This replaces ``send``
    on the instance (an ncclient 0.7 ``SSHSession`` whose hellos were
    exchanged) with one that frames the message as ``Session.run`` would and
    writes it onto the SSH channel under a lock of the session's own, so that
    messages sent from several threads never interleave.  The session's
    thread still reads and dispatches the replies, and closes the session
    when the channel dies.  The queue is left empty: the client's ``<hello>``,
    queued by ``connect``, was written by that thread before it read the
    server's.

    It uses private attributes of ncclient 0.7 (pyproject pins
    ``ncclient>=0.7,<0.8``): the session's ``_base``, the base protocol
    chosen after the hellos, and ``_channel``, the paramiko channel (and the
    caller takes the session from ``Manager._session``).  Without them it
    raises :class:`UnsupportedNcclient` rather than fall back silently.

    Errors surface like the queue's: a closed session raises ncclient's
    ``TransportError``, a channel that closes during the write
    ``SessionCloseError`` (paramiko's ``sendall`` would spin on a channel
    whose EOF was sent, so the write loop is ours, as in ``Session.run``), a
    broken channel ``OSError``.  A peer that stops reading holds the write
    only until the channel's timeout, set to ``timeout``, expires: then
    ncclient's ``TimeoutExpiredError``, as for a reply that never comes.
    """
    base = getattr(session, "_base", None)
    channel: Any = getattr(session, "_channel", None)
    bases = (nc_session.NetconfBase.BASE_10, nc_session.NetconfBase.BASE_11)
    if base not in bases or not (hasattr(channel, "send") and hasattr(channel, "settimeout")):
        raise UnsupportedNcclient(
            "this ncclient has no SSHSession._base/_channel as in ncclient 0.7, "
            "which netsla needs to send requests directly"
        )
    framing = Framing.CHUNKED if base == nc_session.NetconfBase.BASE_11 else Framing.END_OF_MESSAGE
    channel.settimeout(timeout)
    lock = threading.Lock()

    def send(message: str) -> None:
        with lock:
            live = session._channel
            if not session.connected or live is None:
                raise TransportError("Not connected to NETCONF server")
            data = frame(message.encode(), framing)
            try:
                while data:
                    sent = live.send(data)
                    if sent <= 0:
                        raise SessionCloseError("")  # the reader's words, without the payload
                    data = data[sent:]
            except TimeoutError as exc:  # paramiko raises socket.timeout, the same class
                raise TimeoutExpiredError(
                    f"could not send in {timeout:g} s: the device reads nothing"
                ) from exc

    session.send = send
    return framing
