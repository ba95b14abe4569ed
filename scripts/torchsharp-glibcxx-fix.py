#!/usr/bin/env python3
"""Make TorchSharp's native library load on Debian 12 (libstdc++ up to GLIBCXX_3.4.30).

TorchSharp 0.107's libLibTorchSharp.so was linked with GCC 13, whose <iostream> references
std::ios_base_library_init@GLIBCXX_3.4.32. Nothing calls that symbol, but the dynamic loader
refuses the whole library because the version is missing. Marking that one version-needed entry
weak (VER_FLG_WEAK in .gnu.version_r) turns the hard failure into nothing: the loader then only
requires versions the system has. The script refuses to weaken a version that any other symbol
needs, so it can never hide a real dependency. It is idempotent and rewrites the file atomically.

Usage: torchsharp-glibcxx-fix.py FILE [FILE ...]     (exit 0: fixed or already fine)
"""
import os
import struct
import sys
import tempfile

SHT_DYNSYM, SHT_GNU_VERNEED, SHT_GNU_VERSYM = 11, 0x6FFFFFFE, 0x6FFFFFFF
VER_FLG_WEAK = 0x2
# The versions this fix may weaken, with the only symbols allowed to need them.
WEAKENABLE = {"GLIBCXX_3.4.32": {"_ZSt21ios_base_library_initv"}}


def cstr(data, offset):
    return data[offset:data.index(b"\0", offset)].decode()


def sections(data):
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    out = []
    for i in range(shnum):
        _, sh_type, _, _, off, size, link, info, _, entsize = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
        out.append({"type": sh_type, "offset": off, "size": size, "link": link, "info": info, "entsize": entsize})
    return out


def symbols_by_version(data, secs):
    """Version index -> names of the dynamic symbols bound to it."""
    dynsym = next(s for s in secs if s["type"] == SHT_DYNSYM)
    versym = next(s for s in secs if s["type"] == SHT_GNU_VERSYM)
    strtab = secs[dynsym["link"]]["offset"]
    result = {}
    for i in range(dynsym["size"] // 24):
        st_name, = struct.unpack_from("<I", data, dynsym["offset"] + 24 * i)
        ver, = struct.unpack_from("<H", data, versym["offset"] + 2 * i)
        result.setdefault(ver & 0x7FFF, set()).add(cstr(data, strtab + st_name))
    return result


def fix(path):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    secs = sections(data)
    verneed = next((s for s in secs if s["type"] == SHT_GNU_VERNEED), None)
    if verneed is None:
        return "no version needs; nothing to do"
    strtab = secs[verneed["link"]]["offset"]
    users = symbols_by_version(data, secs)
    changed = []
    need = verneed["offset"]
    for _ in range(verneed["info"]):
        _, cnt, _, aux, nxt = struct.unpack_from("<HHIII", data, need)
        entry = need + aux
        for _ in range(cnt):
            _, flags, other, name, anext = struct.unpack_from("<IHHII", data, entry)
            version = cstr(data, strtab + name)
            if version in WEAKENABLE and not flags & VER_FLG_WEAK:
                needed_by = users.get(other, set())
                if not needed_by <= WEAKENABLE[version]:
                    raise ValueError(f"{version} is needed by {sorted(needed_by)}, not only by the unused "
                                     f"{sorted(WEAKENABLE[version])}; refusing to weaken it")
                struct.pack_into("<H", data, entry + 4, flags | VER_FLG_WEAK)
                changed.append(version)
            entry += anext
        need += nxt
    if not changed:
        return "already loadable (no strong GLIBCXX_3.4.32 need)"
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".glibcxx-fix-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, os.stat(path).st_mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return "marked weak: " + ", ".join(changed)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    for path in argv[1:]:
        try:
            print(f"{path}: {fix(path)}")
        except (OSError, ValueError, StopIteration) as e:
            print(f"{path}: cannot fix: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
