"""Small real files for the demo's attachments, generated deterministically (same input, same
bytes): a one-page PDF (Chinese text in the standard STSong-Light font, nothing embedded), a PNG
bar chart and an Excel workbook with fixed timestamps."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence


def pdf(title: str, lines: Sequence[str]) -> bytes:
    def hex16(text: str) -> str:
        return "<" + text.encode("utf-16-be").hex().upper() + ">"

    ops = ["BT", "/F1 16 Tf", "56 780 Td", f"{hex16(title)} Tj", "/F1 10.5 Tf", "0 -30 Td"]
    for line in lines:
        for k in range(0, max(1, len(line)), 44):  # about 44 CJK characters fit a line
            ops += [f"{hex16(line[k : k + 44])} Tj", "0 -17 Td"]
    ops.append("ET")
    content = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def png_bars(values: Sequence[float], width: int = 320, height: int = 160) -> bytes:
    """A bar chart of ``values`` (RGB, no text)."""
    top = max(values) or 1.0
    n = max(1, len(values))
    bar_w = width // n
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            i = min(n - 1, x // bar_w)
            filled = (height - y) <= values[i] / top * (height - 10) and x % bar_w >= 4
            row += bytes((46, 110, 180)) if filled else bytes((248, 248, 248))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def xlsx(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    fixed = dt.datetime(2026, 1, 1)
    wb.properties.created = wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    # Rewrite the archive with fixed entry times, so the bytes do not depend on the clock.
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                data = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*<", rb"<dcterms:\1\2>2026-01-01T00:00:00Z<", data)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()
