"""A local SMTP server for the integration tests (aiosmtpd).

Usage: smtp_sink.py OUT_DIR [CERT KEY]
Listens on a random loopback port (with CERT and KEY: STARTTLS offered and required before MAIL), prints one JSON line {"port": N} on stdout once it accepts
connections, and writes every received message to OUT_DIR/NNNNNN.json as
{"from": ..., "to": [...], "subject": ..., "body": ..., "raw": ...} (body decoded to text).
Runs until killed. No network beyond 127.0.0.1.
"""
import asyncio
import email
import email.policy
import json
import os
import socket
import ssl
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",)) or msg
        try:
            body = part.get_content()
        except Exception as e:  # noqa: BLE001 - a broken message is still recorded
            body = f"<undecodable body: {e}>"
        self.n += 1
        record = {
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "subject": str(msg.get("Subject", "")),
            "body": body,
            "raw": raw.decode("utf-8", "replace"),
        }
        tmp = os.path.join(self.out_dir, f".{self.n:06d}.tmp")
        final = os.path.join(self.out_dir, f"{self.n:06d}.json")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(tmp, final)
        return "250 Message accepted for delivery"


async def main(out_dir, cert=None, key=None):
    os.makedirs(out_dir, exist_ok=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    handler = Sink(out_dir)
    tls = {}
    if cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        tls = {"tls_context": ctx, "require_starttls": True}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp-sink.test", decode_data=False, **tls), sock=sock
    )
    print(json.dumps({"port": port}), flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 4):
        print("usage: smtp_sink.py OUT_DIR [CERT KEY]", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(main(*sys.argv[1:]))
    except KeyboardInterrupt:
        pass
