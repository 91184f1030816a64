"""Our daphne: ``python -m contest_site.serve <daphne's arguments>`` (the same command line as ``daphne``).

Plain daphne 4.2.3 on Twisted 26.10 lets any request grow the process by its body's size, several times over,
before any application code may refuse it (issue 15: 3.4 GB for an anonymous 300 MB POST):

1. Twisted receives the whole body (into a temporary file above 100 KB) before daphne's ``process()`` runs,
   and then parses a multipart or url-encoded POST body *in memory* into ``request.args``, which nobody here
   reads;
2. daphne then puts every 8 KB piece of the body into the application's unbounded queue at once.

This entry point changes those three things and nothing else (WebSockets, proxy headers, the prepared-frame
broadcast of live/, timeouts and logs are daphne's own):

- ``BoundedRequest`` applies contest_site/bodylimits.py at header time: a Content-Length over the route's
  limit, or a chunked body that passes it, is answered 413 on the spot and the connection closed after a
  short linger, so the body is never received; it also turns off Twisted's in-memory form parsing.
- ``BoundedServer.create_application`` gives an HTTP application a ``receive`` that *pulls* the body from
  Twisted's file one 64 KB chunk at a time, when the application asks for it: memory holds one chunk, however
  large the upload.

It relies on daphne's and Twisted's internals (named in ``RELIES_ON``); contest_site/tests/test_serve.py fails
loudly when an upgrade changes any of them. Pinned: daphne 4.2.3, Twisted 26.10.0.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from functools import partial
from urllib.parse import unquote

import daphne.server  # before anything of Twisted: it installs the asyncio reactor
from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from twisted.internet import reactor

from . import fastpaths
from .bodylimits import Limit, declared_length, limit_for, refusal

logger = logging.getLogger(__name__)

DAPHNE_VERSION = "4.2.3"
# What this module reads or overrides inside daphne and Twisted; test_serve.py pins each one's source.
RELIES_ON = (
    "daphne.http_protocol.WebRequest.process",  # calls create_application, then reads self.content in a loop
    "daphne.http_protocol.WebRequest.send_disconnect",  # put_nowait({"type": "http.disconnect"})
    "daphne.http_protocol.HTTPFactory.buildProtocol",  # sets protocol.requestFactory
    "daphne.server.Server.run",  # self.http_factory = HTTPFactory(self)
    "daphne.server.Server.create_application",  # replaced for HTTP below
    "twisted.web.http.HTTPChannel.allHeadersReceived",  # req.gotLength(self.length) once headers are in
    "twisted.web.http.HTTPChannel.lineReceived",  # self._command, self._path set before the headers
    "twisted.web.http.Request.requestReceived",  # _parsePOSTFormSubmission, then self.process()
)
BODY_CHUNK = 64 * 1024  # what an application receives per message (daphne's own default is 8 KB)
LINGER_S = 2.0  # after a 413, how long the rest of a refused body is read and dropped before the close


class BoundedRequest(WebRequest):
    """daphne's request, with the body limit of its route applied as the body arrives (module text)."""

    _refused = False
    _body_limit: Limit | None = None
    _body_seen = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Twisted would parse a multipart or url-encoded POST body in memory into request.args, which daphne
        # never reads: that copy was most of the 3.4 GB of issue 15.
        self._parsePOSTFormSubmission = False

    def gotLength(self, length):
        self._request_headers = [
            (name.lower(), value) for name, values in self.requestHeaders.getAllRawHeaders() for value in values
        ]
        path = self.channel._path.split(b"?", 1)[0]
        self._body_limit = limit_for(path=unquote(path.decode("latin-1")), headers=self._request_headers)
        if length is not None and length > self._body_limit.max_bytes:
            super().gotLength(0)  # an empty buffer: nothing of this body will be kept
            self._refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self._refused:
            return
        self._body_seen += len(data)
        if self._body_seen > self._body_limit.max_bytes:  # a chunked body (a declared one stops at its length)
            self._refuse()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if not self._refused:
            super().requestReceived(command, path, version)

    def _refuse(self):
        """Answer 413 at once, then drop whatever else the client sends and close the connection.

        Written straight to the transport: the request line is not parsed into this object yet, so Twisted's
        response machinery cannot be used. The close waits LINGER_S while reading (and dropping): a client
        still sending when a socket closes would get a reset that can swallow the answer before it is read."""
        self._refused = True
        self.requestHeaders.removeHeader(b"Expect")  # no "100 Continue" after the answer
        headers, payload = refusal(limit=self._body_limit, headers=self._request_headers)
        head = b"HTTP/1.1 413 Content Too Large\r\n"
        head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        channel = self.channel
        channel.persistent = False
        channel.dataReceived = _drop  # the rest of this body, and anything after it
        transport = channel.transport
        transport.write(head + b"\r\n" + payload)
        if hasattr(transport, "loseWriteConnection"):
            transport.loseWriteConnection()
        reactor.callLater(LINGER_S, _close, transport)
        self._log_refusal()

    def _log_refusal(self):
        declared = declared_length(self._request_headers)
        logger.info(
            "413: %s %s body %s over %d bytes",
            self.channel._command.decode("latin-1", "replace"),
            self.channel._path.decode("latin-1", "replace")[:200],
            declared if declared is not None else "(chunked)",
            self._body_limit.max_bytes,
        )
        client = self.client
        self.server.log_action(
            "http",
            "complete",
            {
                "path": self.channel._path.decode("latin-1", "replace"),
                "status": 413,
                "method": self.channel._command.decode("ascii", "replace"),
                "client": f"{client.host}:{client.port}" if hasattr(client, "port") else None,
                "time_taken": 0,
                "size": 0,
            },
        )


def _drop(data: bytes) -> None:
    """The channel's ``dataReceived`` after a refusal: the bytes are read off the socket and forgotten."""


def _close(transport) -> None:
    if transport.connected:
        transport.abortConnection()


class BoundedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = BoundedRequest
        return protocol


class PulledBody:
    """What daphne takes for the application's input queue, and the application's ``receive``.

    The body is read from Twisted's file (on disk above 100 KB) when the application asks for the next chunk,
    never ahead: daphne's own loop, which would queue every chunk at once, finds an empty file (see
    ``BoundedServer.create_application``) and its one empty message is ignored. ``http.disconnect`` comes from
    daphne through ``put_nowait`` when the client leaves or the response is finished."""

    def __init__(self, content, chunk_size: int = BODY_CHUNK):
        self._content = content
        self._chunk_size = chunk_size
        self._more = True
        self._disconnected = asyncio.Event()

    def put_nowait(self, message: dict) -> None:
        if message["type"] == "http.disconnect":
            self._disconnected.set()
            self.close()

    def close(self) -> None:
        if self._content is not None:
            self._content.close()
            self._content = None
        self._more = False

    async def receive(self) -> dict:
        if self._more:
            chunk = self._content.read(self._chunk_size)
            self._more = len(chunk) == self._chunk_size
            if not self._more:
                self.close()
            return {"type": "http.request", "body": chunk, "more_body": self._more}
        await self._disconnected.wait()
        return {"type": "http.disconnect"}


class BoundedServer(daphne.server.Server):
    """daphne's server with ``BoundedRequest`` for HTTP and a pulled body instead of an unbounded queue."""

    @property
    def http_factory(self):
        return self._http_factory

    @http_factory.setter
    def http_factory(self, factory):
        # Server.run() makes `HTTPFactory(self)`; the same factory, building our requests.
        if type(factory) is HTTPFactory:
            factory = BoundedHTTPFactory(self)
        self._http_factory = factory

    def create_application(self, protocol, scope):
        if scope["type"] != "http" or not isinstance(protocol, BoundedRequest):
            return super().create_application(protocol, scope)  # WebSockets: daphne's queue and send, unchanged
        assert "application_instance" not in self.connections[protocol]
        body = PulledBody(protocol.content)
        protocol.content = io.BytesIO()  # what daphne's process() loop then reads: nothing
        scope.setdefault("asgi", {"version": "3.0"})
        instance = self.application(scope=scope, receive=body.receive, send=partial(self.handle_reply, protocol))
        if protocol not in self.connections:
            body.close()
            return None
        self.connections[protocol]["application_instance"] = asyncio.ensure_future(
            instance, loop=asyncio.get_event_loop()
        )
        return body


class BoundedCommandLine(CommandLineInterface):
    server_class = BoundedServer


def main(argv: list[str] | None = None) -> None:
    if daphne.__version__ != DAPHNE_VERSION:
        logger.warning("contest_site.serve was written for daphne %s, not %s", DAPHNE_VERSION, daphne.__version__)
    fastpaths.expect_fast_paths()  # the live broadcast's shortcuts are expected here: say when they are not taken
    BoundedCommandLine().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
