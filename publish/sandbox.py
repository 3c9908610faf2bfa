"""Confinement of a query worker by the operating system: no network, bounded memory.

The guard in ``publish.sparql`` refuses ``SERVICE`` by reading the query; these layers make a
worker unable to reach the network whatever it reads, so a future parser difference cannot
become a request to another host:

- a network namespace of its own (``unshare(CLONE_NEWNET)``; as non-root inside a new user
  namespace), which holds no interface but a loopback that is down;
- a seccomp filter (libseccomp) under which ``socket()`` fails for every family but
  ``AF_UNIX`` and ``io_uring`` (which can open sockets without ``socket()``) cannot be set up.

Both are applied when the system allows; a worker that gets neither refuses to start (fail
closed). Memory is capped with ``RLIMIT_DATA`` (heap and anonymous mappings, so the shared
libraries and the store's file mappings do not count against it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import resource
import socket

from .errors import ThbkgError

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_CMP_NE = 1


class SandboxError(ThbkgError):
    """A query worker cannot be confined, so it does not serve queries."""

    exit_code = 2
    http_status = 503


class _ArgCmp(ctypes.Structure):
    """libseccomp's ``struct scmp_arg_cmp``."""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def _unshare_network() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET) == 0:
        return
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    # Map ourselves, so files keep their owner inside the new user namespace.
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def _seccomp_no_sockets() -> None:
    path = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    lib = ctypes.CDLL(path, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    refuse = 0x00050000 | errno.EACCES  # SCMP_ACT_ERRNO(EACCES)
    ctx = lib.seccomp_init(_SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError("seccomp_init failed")
    try:
        only_unix = (_ArgCmp * 1)(_ArgCmp(0, _SCMP_CMP_NE, socket.AF_UNIX, 0))
        rules = [(b"socket", 1, only_unix), (b"io_uring_setup", 0, None)]
        for name, count, args in rules:
            number = lib.seccomp_syscall_resolve_name(name)
            if lib.seccomp_rule_add_array(ctx, refuse, number, count, args) < 0:
                raise OSError(f"seccomp: cannot add the rule for {name.decode()}")
        if lib.seccomp_load(ctx) < 0:
            raise OSError("seccomp_load failed")
    finally:
        lib.seccomp_release(ctx)


#: The network layers, in the order they are applied.
LAYERS = {"network namespace": _unshare_network, "seccomp": _seccomp_no_sockets}


def confine_network(layers: tuple[str, ...] = tuple(LAYERS)) -> list[str]:
    """Cut this process off the network with every layer the system allows; the names of the
    layers applied. None applied is a SandboxError: a worker that could reach the network
    does not run queries."""
    applied, failures = [], []
    for name in layers:
        try:
            LAYERS[name]()
        except OSError as exc:
            failures.append(f"{name}: {exc}")
        else:
            applied.append(name)
    if not applied:
        raise SandboxError(
            "the query worker cannot be cut off the network (" + "; ".join(failures) + "), "
            "so it does not run queries"
        )
    return applied


def limit_memory(limit: int) -> None:
    """Cap this process's data (heap and anonymous mappings) at ``limit`` bytes."""
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
