#!/usr/bin/python3
"""mailsink.py: a real SMTP server on loopback (aiosmtpd) that stores each message it
receives as DIR/<time>-<n>.eml. The demo's and the tests' mail goes here."""
import argparse
import os
import signal
import threading
import time

from aiosmtpd.controller import Controller


class Store:
    def __init__(self, directory):
        self.dir = directory
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            name = f"{time.time():.6f}-{self.n}.eml"
        tmp = os.path.join(self.dir, "." + name)
        with open(tmp, "wb") as f:
            f.write(f"X-Envelope-From: {envelope.mail_from}\r\n".encode())
            f.write(f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.dir, name))   # readers never see half a message
        return "250 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    ctl = Controller(Store(a.dir), hostname="127.0.0.1", port=a.port)
    ctl.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    ctl.stop()


if __name__ == "__main__":
    main()
