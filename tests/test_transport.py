"""The aiohttp transport under httpx, against a real local server: bytes, headers, errors."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot.gateway.transport import AiohttpTransport

BIG = bytes(range(256)) * 20_000  # 5 MB


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    headers = {
        "x-method": request.method,
        "x-length": str(len(body)),
        "x-content-type": request.headers.get("Content-Type", ""),
        "x-authorization": request.headers.get("Authorization", ""),
        "x-cookie": request.headers.get("Cookie", ""),
        "x-peer-port": str(request.transport.get_extra_info("peername")[1])
        if request.transport
        else "",
    }
    return web.Response(body=body, headers=headers)


async def big(request: web.Request) -> web.Response:
    return web.Response(body=BIG, content_type="application/octet-stream")


async def gzipped(request: web.Request) -> web.Response:
    return web.Response(body=gzip.compress(b"hello " * 1000), headers={"Content-Encoding": "gzip"})


async def redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/big")


async def cookie(request: web.Request) -> web.Response:
    response = web.Response(text="set")
    response.set_cookie("session", "abc")
    return response


async def teapot(request: web.Request) -> web.Response:
    return web.Response(status=418, reason="I'm a teapot", text="no")


async def cut(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Length": "100000"})
    await response.prepare(request)
    await response.write(b"x" * 1000)
    assert request.transport is not None
    request.transport.close()
    return response


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(30)
    return web.Response(text="late")


@pytest.fixture
async def base() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/echo", echo)
    for path, handler in [
        ("/big", big),
        ("/gzip", gzipped),
        ("/redirect", redirect),
        ("/cookie", cookie),
        ("/teapot", teapot),
        ("/cut", cut),
        ("/slow", slow),
    ]:
        app.router.add_get(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0, transport=AiohttpTransport()) as client:
        yield client


async def test_a_large_body_arrives_whole(base: str, http: httpx.AsyncClient) -> None:
    response = await http.get(f"{base}/big")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == BIG


async def test_a_large_body_streams_in_chunks(base: str, http: httpx.AsyncClient) -> None:
    async with http.stream("GET", f"{base}/big") as response:
        chunks = [chunk async for chunk in response.aiter_raw()]
    assert len(chunks) > 1
    assert b"".join(chunks) == BIG


async def test_json_and_headers_are_sent_as_given(base: str, http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"{base}/echo", json={"prompt": "a red balloon"}, headers={"Authorization": "Bearer k"}
    )
    assert response.json() == {"prompt": "a red balloon"}
    assert response.headers["x-method"] == "POST"
    assert response.headers["x-content-type"] == "application/json"
    assert response.headers["x-authorization"] == "Bearer k"


async def test_multipart_uploads_arrive_intact(base: str, http: httpx.AsyncClient) -> None:
    files = [("image[]", ("a.png", BIG[:70_000], "image/png"))]
    response = await http.post(f"{base}/echo", data={"prompt": "blue"}, files=files)
    assert response.headers["x-content-type"].startswith("multipart/form-data; boundary=")
    assert BIG[:70_000] in response.content
    assert int(response.headers["x-length"]) == len(response.content)


async def test_an_empty_post_sends_no_body(base: str, http: httpx.AsyncClient) -> None:
    response = await http.post(f"{base}/echo")
    assert (response.headers["x-method"], response.headers["x-length"]) == ("POST", "0")


async def test_compressed_bodies_are_decoded_by_httpx(base: str, http: httpx.AsyncClient) -> None:
    response = await http.get(f"{base}/gzip")
    assert response.text == "hello " * 1000


async def test_redirects_are_httpx_s_to_follow(base: str, http: httpx.AsyncClient) -> None:
    not_followed = await http.get(f"{base}/redirect")
    followed = await http.get(f"{base}/redirect", follow_redirects=True)
    assert not_followed.status_code == 302
    assert (followed.status_code, followed.url.path, followed.content) == (200, "/big", BIG)


async def test_cookies_are_kept_once_by_httpx(base: str, http: httpx.AsyncClient) -> None:
    await http.get(f"{base}/cookie")
    response = await http.get(f"{base}/echo")
    assert response.headers["x-cookie"] == "session=abc"


async def test_status_and_reason_come_through(base: str, http: httpx.AsyncClient) -> None:
    response = await http.get(f"{base}/teapot")
    assert (response.status_code, response.reason_phrase, response.text) == (
        418,
        "I'm a teapot",
        "no",
    )


async def test_a_body_cut_short_is_a_protocol_error(base: str, http: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        await http.get(f"{base}/cut")


async def test_nothing_listening_is_a_connect_error(http: httpx.AsyncClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        await http.get(f"http://127.0.0.1:{port}/")


async def test_a_silent_server_is_a_read_timeout(base: str, http: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.ReadTimeout):
        await http.get(f"{base}/slow", timeout=httpx.Timeout(10.0, read=0.2))


async def test_connections_are_kept_alive_and_reused(base: str, http: httpx.AsyncClient) -> None:
    ports = {(await http.get(f"{base}/echo")).headers["x-peer-port"] for _ in range(3)}
    assert len(ports) == 1


async def test_a_body_left_unread_does_not_poison_the_next_request(
    base: str, http: httpx.AsyncClient
) -> None:
    async with http.stream("GET", f"{base}/big") as response:
        async for _chunk in response.aiter_raw():
            break
    again = await http.get(f"{base}/big")
    assert again.content == BIG


async def test_a_netrc_entry_for_the_host_adds_no_credentials(
    base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As with httpx, ~/.netrc is not read: the gateway's own Authorization goes as sent
    (aiohttp's trust_env refused it with a ValueError), and nothing is added without one."""
    (tmp_path / ".netrc").write_text("machine 127.0.0.1\nlogin someone\npassword hunter2\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        sent = await http.get(f"{base}/echo", headers={"Authorization": "Bearer k"})
        bare = await http.get(f"{base}/echo")
    assert sent.headers["x-authorization"] == "Bearer k"
    assert bare.headers["x-authorization"] == ""


@pytest.fixture
async def proxy() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A forward proxy on 127.0.0.1 that answers every request itself; yields its URL and
    the request lines it received."""
    lines: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines.append(head.split(b"\r\n", 1)[0])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia proxy")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", lines
    server.close()
    await server.wait_closed()


async def test_the_environment_s_proxy_carries_requests_except_for_no_proxy_hosts(
    base: str, proxy: tuple[str, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy_url, lines = proxy
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        far = await http.get("http://images.example.invalid/v1/models")
        near = await http.get(f"{base}/echo")
    assert far.text == "via proxy"
    assert lines == [b"GET http://images.example.invalid/v1/models HTTP/1.1"]
    assert near.headers["x-method"] == "GET"
