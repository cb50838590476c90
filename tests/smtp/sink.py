#!/usr/bin/python3
"""An SMTP server for Hark's tests (unit, integration, benchmarks).

It accepts mail (on 127.0.0.1 by default) and keeps what a test needs to
assert on: each accepted message as DIR/<n>.eml (the exact bytes received,
after SMTP dot un-stuffing) with its envelope in DIR/<n>.json, and counters
in a stats file.
It can reject recipients, fail the first transactions temporarily, offer
STARTTLS or implicit TLS, and require AUTH. It is not a mail server: nothing
is relayed, and files are not fsynced (speed over durability).

Runs with Debian's /usr/bin/python3 and python3-aiosmtpd (scripts/bootstrap).
Prints "listening on PORT" on stdout once ready, nothing else on stdout.
Stops on SIGTERM or SIGINT with status 0.

Files; all are written before the client gets the reply that concerns them:
  DIR/<n>.eml   the message, n = 1, 2, ... in order of acceptance; written
                under a hidden name and renamed, so a reader never sees a
                partial one
  DIR/<n>.json  its envelope, complete before <n>.eml appears:
                {"n", "mail_from", "rcpt_tos", "message_id" (without <>, or
                null), "size", "tls" (bool), "auth" (login or null),
                "helo" (the name the client gave in EHLO)}
  STATS         one JSON line {"connections", "messages", "rejected_rcpts",
                "tempfails"} padded with spaces, rewritten in place on every
                change; connections counts TCP connections accepted
"""

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult

HEADER_END = re.compile(rb"\r?\n\r?\n")
FOLD = re.compile(rb"\r?\n[ \t]+")
STATS_WIDTH = 120
MESSAGE_ID = re.compile(rb"^message-id:[ \t]*<?([^>\r\n]*)>?", re.IGNORECASE | re.MULTILINE)


def write_atomic(path, data):
    """Writes DATA (bytes) to PATH through a hidden temporary file and a rename."""
    head, tail = os.path.split(path)
    tmp = os.path.join(head, "." + tail + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def message_id(content):
    m = HEADER_END.search(content)
    headers = FOLD.sub(b" ", content[: m.start()] if m else content)
    found = MESSAGE_ID.search(headers)
    return found.group(1).strip().decode("utf-8", "replace") if found else None


class Sink:
    """The aiosmtpd handler: recipient policy, temporary failures, storage, counters."""

    def __init__(self, args):
        self.dir = args.dir
        self.reject = re.compile(args.reject_rcpt) if args.reject_rcpt else None
        self.tempfail_left = args.tempfail_first
        self.stats = {"connections": 0, "messages": 0, "rejected_rcpts": 0, "tempfails": 0}
        self.stats_fd = os.open(args.stats, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if args.stats else None
        self.write_stats()

    def count(self, key):
        self.stats[key] += 1
        self.write_stats()

    def write_stats(self):
        # Rewritten in place with one write of a fixed width (counters only
        # grow, so it never shrinks): cheaper than a rename per message, and a
        # reader sees the old or the new line.
        if self.stats_fd is not None:
            line = json.dumps(self.stats).ljust(STATS_WIDTH) + "\n"
            os.pwrite(self.stats_fd, line.encode(), 0)

    async def handle_exception(self, error):
        # One line instead of aiosmtpd's traceback: a client failing the TLS
        # handshake on purpose is part of the tests.
        print("sink: %s: %s" % (type(error).__name__, error.__cause__ or error), file=sys.stderr)
        return "500 Error: (%s) %s" % (type(error).__name__, error)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            self.count("rejected_rcpts")
            return "550 5.1.1 unknown user"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.tempfail_left > 0:
            # 421 means the server closes the connection; the reply is sent first.
            self.tempfail_left -= 1
            self.count("tempfails")
            asyncio.get_running_loop().call_soon(server.transport.close)
            return "421 4.3.0 temporary failure, try again later"
        n = self.stats["messages"] + 1
        content = envelope.original_content
        if self.dir:
            auth = session.auth_data.decode("utf-8", "replace") if session.authenticated else None
            meta = {
                "n": n,
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "message_id": message_id(content),
                "size": len(content),
                "tls": server.transport.get_extra_info("ssl_object") is not None,
                "auth": auth,
                "helo": session.host_name,
            }
            # The .json is complete before the .eml appears (renamed into
            # place): whoever sees n.eml can read both.
            with open(os.path.join(self.dir, "%d.json" % n), "wb") as f:
                f.write(json.dumps(meta).encode())
            write_atomic(os.path.join(self.dir, "%d.eml" % n), content)
        self.count("messages")
        return "250 2.0.0 OK queued as %d" % n


def tls_context(cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def parse_args():
    p = argparse.ArgumentParser(description="SMTP sink for Hark's tests")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--dir", help="write each accepted message as DIR/<n>.eml and DIR/<n>.json")
    p.add_argument("--stats", metavar="FILE", help="JSON counters, rewritten on every change")
    p.add_argument("--reject-rcpt", metavar="REGEX", help="550 5.1.1 for recipients matching REGEX")
    p.add_argument("--tempfail-first", metavar="N", type=int, default=0,
                   help="421 4.3.0 after DATA for the first N transactions")
    tls = p.add_mutually_exclusive_group()
    tls.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="offer STARTTLS")
    tls.add_argument("--smtps", nargs=2, metavar=("CERT", "KEY"), help="implicit TLS")
    p.add_argument("--require-tls", action="store_true", help="refuse mail before STARTTLS")
    p.add_argument("--auth", metavar="USER:PASS", help="require AUTH PLAIN or LOGIN with these credentials")
    args = p.parse_args()
    if args.require_tls and not (args.tls or args.smtps):
        p.error("--require-tls needs --tls or --smtps")
    if args.auth and ":" not in args.auth:
        p.error("--auth takes USER:PASS")
    return args


async def serve(args):
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args)
    starttls = tls_context(*args.tls) if args.tls else None
    implicit = tls_context(*args.smtps) if args.smtps else None

    authenticator = None
    if args.auth:
        user, password = (s.encode() for s in args.auth.split(":", 1))

        def authenticator(server, session, envelope, mechanism, login):
            if login.login == user and login.password == password:
                return AuthResult(success=True, auth_data=login.login)
            return AuthResult(success=False, handled=False)  # aiosmtpd replies 535 5.7.8

    def factory():
        sink.count("connections")
        return SMTP(
            sink,
            hostname="sink.hark.test",  # aiosmtpd would otherwise resolve our FQDN per connection
            ident="Hark test sink",
            enable_SMTPUTF8=True,
            tls_context=starttls,
            require_starttls=args.require_tls and starttls is not None,
            auth_required=authenticator is not None,
            # Like a real server: AUTH only after STARTTLS when STARTTLS is offered.
            # aiosmtpd does not see implicit TLS, hence False for --smtps and plain.
            auth_require_tls=starttls is not None,
            authenticator=authenticator,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, args.host, args.port, ssl=implicit, reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("listening on %d" % server.sockets[0].getsockname()[1], flush=True)
    await stop.wait()
    server.close()


def main():
    # aiosmtpd warns (stderr) that AUTH without TLS is unsafe: intended here.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    asyncio.run(serve(parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
