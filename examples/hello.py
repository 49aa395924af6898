"""Runs inside a Sandcastle sandbox: shows what the hardened container looks like from within."""
import os
import platform
import socket


def status_field(name):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return "?"


print(f"Hello from Python {platform.python_version()} inside a Sandcastle sandbox")
print(f"  user id            {os.getuid()}")
print(f"  working directory  {os.getcwd()}")
print(f"  capabilities       CapEff={status_field('CapEff')}")
print(f"  seccomp mode       {status_field('Seccomp')} (2 = filter)")
print(f"  no_new_privs       {status_field('NoNewPrivs')}")
try:
    open("/etc/sandcastle-test", "w")
    print("  root filesystem    writable (unexpected)")
except OSError as error:
    print(f"  root filesystem    read-only ({error.strerror})")
try:
    socket.create_connection(("deb.debian.org", 80), timeout=2)
    print("  network            reachable")
except OSError as error:
    print(f"  network            none ({error.__class__.__name__})")
squares = [n * n for n in range(10)]
print(f"  computed           sum of squares 0..9 = {sum(squares)}")
