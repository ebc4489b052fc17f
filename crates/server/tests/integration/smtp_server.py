"""A real SMTP server for the channel tests (ADR 0022): aiosmtpd from
Debian's python3-aiosmtpd on 127.0.0.1, STARTTLS required, AUTH (PLAIN or
LOGIN, only after STARTTLS) checked against one account, each message
written whole to OUTDIR as NNNN.eml (renamed into place when complete).

usage: smtp_server.py PORT CERT KEY USER PASSWORD OUTDIR
"""

import itertools
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password, outdir = sys.argv[1:7]
numbers = itertools.count()


class Keep:
    async def handle_DATA(self, server, session, envelope):
        n = next(numbers)
        path = os.path.join(outdir, "%04d.eml" % n)
        with open(path + ".part", "wb") as f:
            f.write(("X-Envelope-To: %s\r\n" % ",".join(envelope.rcpt_tos)).encode())
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".part", path)
        return "250 OK"


def check(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == user.encode()
        and auth_data.password == password.encode()
    )
    # handled=False: the server answers (235, or 535 on a wrong password).
    return AuthResult(success=ok, handled=False)


tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(cert, key)
server = Controller(
    Keep(),
    hostname="127.0.0.1",
    port=int(port),
    tls_context=tls,
    require_starttls=True,
    authenticator=check,
    auth_required=True,
)
server.start()
print("ready", flush=True)
threading.Event().wait()
