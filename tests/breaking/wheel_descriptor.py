"""Writes the schema of a published lokryn-compliance-log wheel as a buf image.

The 0.1.x wheels ship no .proto file, only protoc's Python output, which embeds
the serialized FileDescriptorProto of proto/logentry.proto as the argument of
`AddSerializedFile(b'...')`. This reads that literal without importing the
module (its generated code demands one exact protobuf runtime), checks the
wheel's SHA-256 first, and writes a FileDescriptorSet, which is a valid buf
image, for `buf breaking --against`.

Usage: python3 wheel_descriptor.py WHEEL SHA256 OUT.binpb
Standard library only.
"""

import ast
import hashlib
import sys
import zipfile


def serialized_files(source):
    """Every bytes literal passed to AddSerializedFile in a _pb2.py source."""
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "AddSerializedFile"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, bytes)
        ):
            yield node.args[0].value


def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def main(wheel, sha256, out):
    data = open(wheel, "rb").read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        sys.exit(f"{wheel}: SHA-256 is {digest}, expected {sha256}")
    files = []
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            if name.endswith("_pb2.py"):
                files.extend(serialized_files(zf.read(name).decode("utf-8")))
    if not files:
        sys.exit(f"{wheel}: no AddSerializedFile descriptor in any _pb2.py")
    # FileDescriptorSet.file is field 1, length-delimited.
    with open(out, "wb") as f:
        for fdp in files:
            f.write(b"\x0a" + varint(len(fdp)) + fdp)
    print(f"{out}: {len(files)} file(s) from {wheel}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
