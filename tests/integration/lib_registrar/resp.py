# SPDX-License-Identifier: BSD-2-Clause
"""resp.py - a minimal Redis client for checking what vmdnsctl wrote.

redis-cli's text output loses structure (nested arrays, empty strings), and
these tests compare exact hash values and stream entries, so they speak
the Redis protocol directly: one command per call, replies as Python
values (bytes decoded as UTF-8, arrays as lists, nil as None, errors
raised as RespError).
"""

import socket


class RespError(Exception):
    """An error reply from Redis."""


class Resp:
    """A blocking connection to one redis-server on 127.0.0.1."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __call__(self, *args):
        """Run one command and return its reply."""
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode("utf-8", "surrogateescape")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ConnectionError("unexpected reply %r" % line)


def hgetall(port, key):
    """A hash as a dict."""
    with Resp(port) as r:
        flat = r("HGETALL", key)
    return dict(zip(flat[0::2], flat[1::2]))


def stream(port, key="vmdns:changes"):
    """The change stream as a list of dicts (fields of each entry)."""
    with Resp(port) as r:
        entries = r("XRANGE", key, "-", "+")
    return [dict(zip(fields[0::2], fields[1::2])) for _id, fields in entries]


def snapshot(port):
    """Every key with its type and content: to prove nothing was written."""
    out = {}
    with Resp(port) as r:
        for key in sorted(r("KEYS", "*")):
            t = r("TYPE", key)
            if t == "hash":
                flat = r("HGETALL", key)
                out[key] = (t, dict(zip(flat[0::2], flat[1::2])))
            elif t == "stream":
                out[key] = (t, r("XRANGE", key, "-", "+"))
            else:
                out[key] = (t, r("DUMP", key))
    return out
