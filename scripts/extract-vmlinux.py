#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# extract-vmlinux.py BZIMAGE OUT: write the ELF kernel inside a bzImage.
#
# QEMU boots an ELF vmlinux through its PVH entry point, skipping the
# real-mode setup and the in-guest decompression: about 4 s less per boot
# under software emulation.  Debian compresses 6.1 with xz and 6.12 with
# zstd; the payload is found by its magic number.
import sys, subprocess
img = open(sys.argv[1], 'rb').read()
for magic, cmd in ((b'\xfd7zXZ\x00', ['xz', '-dc', '--single-stream']),
                   (b'(\xb5/\xfd', ['zstd', '-dcq'])):
    off = img.find(magic)
    while off >= 0:
        p = subprocess.run(cmd, input=img[off:], capture_output=True)
        if p.stdout[:4] == b'\x7fELF':
            open(sys.argv[2], 'wb').write(p.stdout)
            sys.exit(0)
        off = img.find(magic, off + 1)
sys.exit(1)
