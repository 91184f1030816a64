"""Clients of the production topology: a browser-like HTTPS client (cookies, CSRF, forms, uploads) that
trusts the topology's self-signed certificate, WebSockets through nginx, and plain HTTP straight to one
daphne socket (to see what the app answers before nginx acts on it)."""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self):
        return json.loads(self.body)


class Browser:
    """One person's HTTPS session on the site: a cookie jar, redirects followed, CSRF as a browser sends it."""

    def __init__(self, base_url: str, cafile: Path):
        self.base_url = base_url
        self.tls = ssl.create_default_context(cafile=str(cafile))
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self.tls), urllib.request.HTTPCookieProcessor(self.jar)
        )

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None) -> Reply:
        url = self.base_url + path  # always https://127.0.0.1:port
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=60) as reply:
                return Reply(reply.status, reply.headers, reply.read(), reply.url)
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers, error.read(), error.url)

    def get(self, path: str, **headers) -> Reply:
        return self.request("GET", path, headers=headers)

    def _csrf_headers(self) -> dict:
        """Django checks the Origin of an HTTPS POST and the token; the page's forms carry both."""
        return {"Origin": self.base_url, "X-CSRFToken": self.cookie("csrftoken")}

    def post_form(self, path: str, fields: dict, **headers) -> Reply:
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.cookie("csrftoken"), **fields}, doseq=True)
        headers = {**self._csrf_headers(), "Content-Type": "application/x-www-form-urlencoded", **headers}
        return self.request("POST", path, body=body.encode(), headers=headers)

    def post_json(self, path: str, payload: dict) -> Reply:
        headers = {**self._csrf_headers(), "Content-Type": "application/json"}
        return self.request("POST", path, body=json.dumps(payload).encode(), headers=headers)

    def post_multipart(self, path: str, fields: dict, files: dict[str, tuple[str, bytes]], **headers) -> Reply:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {"csrfmiddlewaretoken": self.cookie("csrftoken"), **fields}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data) in files.items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            )
            parts.append(head.encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {**self._csrf_headers(), "Content-Type": f"multipart/form-data; boundary={boundary}", **headers}
        return self.request("POST", path, body=body, headers=headers)

    def login(self, email: str, password: str) -> None:
        self.get("/accounts/login/")
        reply = self.post_form("/accounts/login/", {"login": email, "password": password})
        assert reply.status == 200 and self.cookie("sessionid"), f"login failed: {reply.status} {reply.url}"

    def websocket(self, path: str, *, signed_in: bool = False):
        """A WebSocket through nginx (wss), with the Origin and, if asked, the session cookie of this browser."""
        from websockets.sync.client import connect

        headers = {"Origin": self.base_url}
        if signed_in:
            headers["Cookie"] = f"sessionid={self.cookie('sessionid')}"
        url = self.base_url.replace("https://", "wss://") + path
        return connect(url, ssl=self.tls, additional_headers=headers, open_timeout=10)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path):
        super().__init__("localhost", timeout=30)
        self.socket_path = str(path)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def daphne_get(socket_path: Path, path: str, *, host: str, cookies: dict[str, str]) -> Reply:
    """GET ``path`` from one daphne process, with the headers nginx adds (Host, X-Forwarded-Proto)."""
    connection = _UnixConnection(socket_path)
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    connection.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https", "Cookie": cookie})
    reply = connection.getresponse()
    try:
        return Reply(reply.status, reply.headers, reply.read(), path)
    finally:
        connection.close()


def form_inputs(html: str) -> list[dict[str, str]]:
    """The attributes of every <input> of a page, as dicts."""
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', tag)) for tag in re.findall(r"<input\b[^>]*>", html)]
