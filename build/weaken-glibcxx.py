#!/usr/bin/env python3
"""Marks libLibTorchSharp.so's need for GLIBCXX_3.4.32 as weak, where the system lacks it.

TorchSharp 0.107's libLibTorchSharp.so was linked against a libstdc++ that has GLIBCXX_3.4.32 and
records a need for that version only because of the marker symbol std::ios_base_library_init(),
which newer libstdc++ emits into every binary that includes <iostream>. Debian 12's libstdc++ stops
at GLIBCXX_3.4.30, so the dynamic loader refuses the library although nothing it runs needs the
newer runtime. Setting VER_FLG_WEAK on that one version need (ELF gnu.version_r, see
https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/symversion.html)
makes the loader accept a libstdc++ without it. Only the copy in the build output is changed, and
only when the system libstdc++ lacks the version (docs/design.md, Platform facts). The build output may be a
hard link to the NuGet cache (Directory.Build.props), so the changed file is written beside it and
renamed over it, never written in place.

usage: weaken-glibcxx.py FILE [FILE ...]
"""
import glob
import os
import struct
import sys

VERSION = b"GLIBCXX_3.4.32"
SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def system_has_version():
    candidates = glob.glob("/usr/lib/x86_64-linux-gnu/libstdc++.so.6*") + glob.glob("/usr/lib64/libstdc++.so.6*") + glob.glob("/lib/x86_64-linux-gnu/libstdc++.so.6*")
    for path in candidates:
        try:
            with open(path, "rb") as f:
                if VERSION + b"\0" in f.read():
                    return True
        except OSError:
            pass
    return not candidates  # no libstdc++ found where we look: leave the file alone


def weaken(path):
    with open(path, "rb") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            return "not a little-endian ELF64 file"
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)

        def section(i):
            return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)

        for i in range(shnum):
            _, sh_type, _, _, offset, _, link, count, _, _ = section(i)
            if sh_type != SHT_GNU_VERNEED:
                continue
            strtab = section(link)[4]
            need = offset
            for _ in range(count):
                _, aux_count, _, aux_offset, next_need = struct.unpack_from("<HHIII", data, need)
                aux = need + aux_offset
                for _ in range(aux_count):
                    _, flags, _, name, next_aux = struct.unpack_from("<IHHII", data, aux)
                    end = data.index(b"\0", strtab + name)
                    if bytes(data[strtab + name:end]) == VERSION:
                        if flags & VER_FLG_WEAK:
                            return "already weak"
                        struct.pack_into("<H", data, aux + 4, flags | VER_FLG_WEAK)
                        replace(path, data)
                        return "marked weak"
                    aux += next_aux
                need += next_need
        return "no need for " + VERSION.decode()


def replace(path, data):
    temporary = path + ".weakening"
    with open(temporary, "wb") as f:
        f.write(data)
    os.chmod(temporary, os.stat(path).st_mode & 0o7777)
    os.replace(temporary, path)


def main():
    if system_has_version():
        return 0
    for path in sys.argv[1:]:
        print(f"weaken-glibcxx: {path}: {weaken(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
