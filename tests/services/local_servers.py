"""Real local servers for the delivery tests: an HTTP server answering a scripted list of
status codes, and a tiny SMTP server (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) that records
what it received. Both listen on 127.0.0.1 on a free port and run in a thread."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HttpScript:
    """Replies in order (status, body, headers); the last one repeats. ``posts`` collects
    (path, JSON body) of every request."""

    replies: list[tuple[int, str, dict[str, str]]]
    posts: list[tuple[str, Any]] = field(default_factory=list)


@contextmanager
def http_server(script: HttpScript) -> Iterator[str]:
    """Yields the server's base URL (``http://127.0.0.1:PORT``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            script.posts.append((self.path, json.loads(self.rfile.read(length) or b"null")))
            i = min(len(script.posts), len(script.replies)) - 1
            status, body, headers = script.replies[i]
            data = body.encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class SmtpScript:
    """``password``: the one AUTH accepts (a refusal echoes what it got, as a careless server
    might); ``mail_replies``: replies to MAIL FROM in order (the last repeats);
    ``starttls``: whether EHLO advertises it (it is never actually served)."""

    password: str
    mail_replies: list[str] = field(default_factory=lambda: ["250 OK"])
    starttls: bool = False
    logins: list[tuple[str, str]] = field(default_factory=list)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    mails: int = 0


class _SmtpHandler(socketserver.StreamRequestHandler):
    script: SmtpScript

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        s = self.script
        sender, rcpts = "", []
        self.reply("220 localhost test ESMTP")
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                extra = ["250-STARTTLS"] if s.starttls else []
                for out in ["250-localhost", *extra, "250-AUTH PLAIN", "250 8BITMIME"]:
                    self.reply(out)
            elif verb == "AUTH":
                _, user, password = base64.b64decode(arg.split()[1]).decode().split("\0")
                s.logins.append((user, password))
                self.reply("235 2.7.0 ok" if password == s.password else
                           f"535 5.7.8 bad credentials {user}:{password}")
            elif verb == "MAIL":
                reply = s.mail_replies[min(s.mails, len(s.mail_replies) - 1)]
                s.mails += 1
                sender = arg.partition(":")[2].strip("<> ")
                self.reply(reply)
            elif verb == "RCPT":
                rcpts.append(arg.partition(":")[2].strip("<> "))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                self._data(sender, rcpts)
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:  # RSET, NOOP, HELO...
                self.reply("250 OK")

    def _data(self, sender: str, rcpts: list[str]) -> None:
        lines = []
        while (raw := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(raw[1:] if raw.startswith(b"..") else raw)
        msg = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        self.script.messages.append(msg)
        self.script.envelopes.append((sender, list(rcpts)))
        self.reply("250 OK queued")


@contextmanager
def smtp_server(script: SmtpScript) -> Iterator[int]:
    """Yields the server's port."""
    handler = type("Handler", (_SmtpHandler,), {"script": script})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
