"""A real IMAP server for the tests: Debian's dovecot-imapd on loopback, as a foreground
process with its own generated configuration in a temporary directory (passwd-file
auth, plaintext on loopback only, Maildir), installed with apt-get when missing."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.notifications.providers import free_port

DOVECOT = Path("/usr/sbin/dovecot")


def dovecot_binary() -> Path:
    if not DOVECOT.exists():
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.fail("dovecot is missing: install it with `apt-get install -y dovecot-imapd`.")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "dovecot-imapd"]
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
            subprocess.run(install, env=env, capture_output=True)
        if not DOVECOT.exists():
            pytest.fail("Could not install dovecot-imapd with apt-get; install it by hand.")
    return DOVECOT


@dataclass(frozen=True)
class Imap:
    host: str
    port: int
    username: str
    password: str


def _config(root: Path, port: int) -> str:
    if os.geteuid() == 0:
        login_user, internal_user, mail_user = "dovenull", "dovecot", "nobody"
    else:  # an unprivileged dovecot runs every process as the one user it has
        login_user = internal_user = mail_user = pwd.getpwuid(os.geteuid()).pw_name
    mail_group = "nogroup" if os.geteuid() == 0 else str(os.getegid())
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
first_valid_gid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/mail/%u
}}
"""


@contextmanager
def running_dovecot() -> Iterator[Imap]:
    binary = dovecot_binary()
    # Not under pytest's tmp_path: that is private to us (0700), and dovecot's mail user
    # (nobody, when we are root) must reach its Maildir.
    root = Path(tempfile.mkdtemp(prefix="aftersales-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    imap = Imap("127.0.0.1", port, "desk@shop.example", "desk-password")
    (root / "mail").mkdir(parents=True)
    (root / "mail").chmod(0o777)  # the mail user (nobody) creates its Maildir here
    (root / "passwd").write_text(f"{imap.username}:{{PLAIN}}{imap.password}\n")
    (root / "dovecot.conf").write_text(_config(root, port))
    process = subprocess.Popen(
        [str(binary), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection((imap.host, port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"dovecot did not start: {output}\n{log}")
            time.sleep(0.1)
        yield imap
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
