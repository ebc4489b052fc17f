#!/usr/bin/env bash
# What the PDFs need (ADR 0013), from Debian's packages, idempotent:
#   fonts-noto-cjk  the CJK font the server sets the PDFs in
#                   (/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc)
#   poppler-utils   pdftoppm / pdftotext / pdffonts, which the tests use to
#                   render the PDFs and read their text back
# Nothing is downloaded at build or run time; without the font the server
# runs and answers PDF downloads with pdf.font_missing.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n -- "$@"; fi
}

FONT=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
if [ -f "$FONT" ] && command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null \
    && command -v pdffonts >/dev/null; then
    echo "fonts-noto-cjk and poppler-utils already installed"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Wait (bounded) for the dpkg lock instead of failing if another apt run holds it.
as_root apt-get -o DPkg::Lock::Timeout=600 update
as_root apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends \
    fonts-noto-cjk poppler-utils
