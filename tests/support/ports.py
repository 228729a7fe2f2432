"""A free TCP port on 127.0.0.1, for a process a test starts that cannot report the port it bound
(nginx, Caddy, PostgreSQL, Redis) or whose address must be known before it starts (a public_url).

    from ports import free_port
    port = free_port()          # bound once by the kernel's choice, then released

The port is free when asked, not reserved: another process may take it before ours binds it, so
prefer `--listen 127.0.0.1:0` where the program reports what it bound (cloakroom_server.py does).
"""
import socket


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
