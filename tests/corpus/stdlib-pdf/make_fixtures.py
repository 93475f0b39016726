#!/usr/bin/env python3
"""Writes the PDF fixtures of the stdlib-pdf corpus into fixtures/ beside this script.

Each PDF is written by hand (no PDF library): uncompressed content streams in the
standard Helvetica font, an exact cross-reference table and an Info dictionary, so the
output is byte-for-byte reproducible. Run it again after changing it and commit the
files it writes:

    python3 tests/corpus/stdlib-pdf/make_fixtures.py
"""

from pathlib import Path

OUT = Path(__file__).resolve().parent / "fixtures"


def pdf_string(text):
    """A PDF literal string: parentheses and backslashes escaped."""
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def content_stream(lines):
    """Draws `lines` top to bottom, one per text line."""
    ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
    for i, line in enumerate(lines):
        if i:
            ops.append("T*")
        ops.append(pdf_string(line) + " Tj")
    ops.append("ET")
    return "\n".join(ops).encode("latin-1")


HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

# A composite font without its DescendantFonts: pdf-extract panics on it (release
# builds abort on a panic; tests/tests/hostile_source.rs and the runtime's pdf unit
# tests check it is a catchable error). No program of the corpus reads it.
BROKEN_TYPE0 = b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H >>"


def make_pdf(pages, info, font=HELVETICA):
    """A PDF with one page per entry of `pages` (each a list of text lines)."""
    n = len(pages)
    # Object numbers: 1 catalog, 2 page tree, 3 font, 4 info, then page/content pairs.
    page_ids = [5 + 2 * i for i in range(n)]
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: ("<< /Type /Pages /Kids [%s] /Count %d >>"
            % (" ".join("%d 0 R" % p for p in page_ids), n)).encode(),
        3: font,
        4: ("<< " + " ".join("/%s %s" % (k, pdf_string(v)) for k, v in info.items()) + " >>")
            .encode("latin-1"),
    }
    for page_id, lines in zip(page_ids, pages):
        stream = content_stream(lines)
        objects[page_id] = (
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            "/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        ).encode()
        objects[page_id + 1] = (b"<< /Length %d >>\nstream\n" % len(stream)) + stream + b"\nendstream"

    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        out += b"%010d 00000 n \n" % offsets[num]
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def main():
    OUT.mkdir(exist_ok=True)
    one = make_pdf(
        [["Hello from page one.", "Second line (with parentheses)."]],
        {
            "Title": "One Page Fixture",
            "Author": "Sema Tests",
            "Subject": "pdf builtins",
            "Creator": "make_fixtures.py",
            "Producer": "hand-written PDF",
        },
    )
    three = make_pdf(
        [["Alpha page text."], ["Beta page text."], ["Gamma page text.", "The end."]],
        {"Title": "Three Pages", "Author": "Sema Tests"},
    )
    files = {
        "one.pdf": one,
        "three.pdf": three,
        # The first half of a valid PDF: no cross-reference table, no trailer.
        "truncated.pdf": three[: len(three) // 2],
        "not-a-pdf.txt": b"This is plain text, not a PDF document.\n",
        "parser-panic.pdf": make_pdf([["Hi"]], {"Title": "Broken font"}, font=BROKEN_TYPE0),
    }
    for name, data in files.items():
        (OUT / name).write_bytes(data)


if __name__ == "__main__":
    main()
