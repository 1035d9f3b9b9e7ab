"""Lay out an HTML report in headless Chromium and measure whether any table or figure is wider
than the page (or cut off inside a scrolling box), and whether a table of the main body is more than half
n/a — what a reader of ``report.html`` would see. Tables inside a ``<details>`` (the report's appendix,
collapsed) are exempt from the n/a rule.

The page is copied with a small script that measures every ``<table>`` and ``<img>`` once the page
has loaded and writes the result into the DOM, which ``chromium --dump-dom`` prints::

    python -m lic.study.htmlcheck runs/<run>/report.html --width 1024
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from lic.errors import ArtifactError

__all__ = ["FLAGS", "chromium", "measure", "main"]

#: headless, offline, a fresh profile each time (``--user-data-dir`` is added per call)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]

_PROBE = """<script>
window.addEventListener('load', function () {
  var page = document.documentElement.clientWidth, bad = [];
  document.querySelectorAll('table, img').forEach(function (el, i) {
    var r = el.getBoundingClientRect(), why = null;
    if (r.right > page + 1 || r.left < -1) why = 'wider than the page';
    for (var p = el.parentElement; p && p !== document.body && !why; p = p.parentElement) {
      var ox = getComputedStyle(p).overflowX;
      if (ox !== 'visible' && p.scrollWidth > p.clientWidth + 1) why = 'cut off in a ' + ox + ' box';
    }
    if (!why && el.tagName === 'TABLE' && !el.closest('details')) {
      var cells = el.querySelectorAll('td'), na = 0;
      cells.forEach(function (c) { if (c.textContent.trim().indexOf('n/a') === 0) na++; });
      if (cells.length && 2 * na > cells.length) why = 'more than half n/a (' + na + ' of ' + cells.length + ' cells)';
    }
    if (why) bad.push({tag: el.tagName.toLowerCase(), index: i, width: Math.round(r.width), right: Math.round(r.right),
                       why: why, text: (el.innerText || el.alt || '').slice(0, 80)});
  });
  var out = document.createElement('pre');
  out.id = 'lic-width-check';
  out.textContent = JSON.stringify({page: page, page_scroll_width: document.documentElement.scrollWidth,
    tables: document.querySelectorAll('table').length, images: document.querySelectorAll('img').length, bad: bad});
  document.body.appendChild(out);
});
</script>"""


def chromium() -> str | None:
    """Path of the Chromium binary (Debian ``chromium``), or None."""
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def measure(html_path: str | Path, width: int = 1024, height: int = 800, timeout: float = 120) -> dict:
    """Lay out ``html_path`` at ``width`` CSS px and measure its tables and images.

    Returns:
        ``{"page": px, "page_scroll_width": px, "tables": n, "images": n, "bad": [...]}``; ``bad``
        lists every table/image wider than the page or clipped inside a scrolling box, and every table outside
        a ``<details>`` whose cells are more than half n/a.

    Raises:
        ArtifactError: no Chromium, a missing page, or Chromium gave no measurement.
    """
    exe = chromium()
    if exe is None:
        raise ArtifactError("chromium not found (Debian: apt-get install chromium)")
    src = Path(html_path)
    if not src.is_file():
        raise ArtifactError(f"{src}: no such HTML file")
    text = src.read_text(encoding="utf-8")
    text = text.replace("</body>", _PROBE + "</body>", 1) if "</body>" in text else text + _PROBE
    with tempfile.TemporaryDirectory(prefix="lic-chromium-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(text, encoding="utf-8")
        cmd = [exe, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", f"--window-size={width},{height}",
               "--virtual-time-budget=15000", "--dump-dom", page.as_uri()]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout
        except subprocess.TimeoutExpired:
            raise ArtifactError(f"chromium did not finish laying out {src} in {timeout:.0f} s") from None
    m = re.search(r'<pre id="lic-width-check">(.*?)</pre>', out, re.S)
    if not m:
        raise ArtifactError(f"chromium gave no measurement for {src} (page did not load?)")
    return json.loads(html.unescape(m.group(1)))


def main(argv=None) -> int:
    """CLI: exit 0 when nothing is wider than the page and no main-body table is mostly n/a, 1 otherwise (or on
    error)."""
    ap = argparse.ArgumentParser(prog="python -m lic.study.htmlcheck", description=__doc__.splitlines()[0])
    ap.add_argument("html")
    ap.add_argument("--width", type=int, default=1024, help="viewport width in CSS px (default 1024)")
    a = ap.parse_args(argv)
    try:
        m = measure(a.html, a.width)
    except ArtifactError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{m['tables']} tables, {m['images']} images at {m['page']} px: {len(m['bad'])} too wide or mostly n/a"
          f" (page scroll width {m['page_scroll_width']} px)")
    for b in m["bad"]:
        print(f"  {b['tag']} #{b['index']}: {b['width']} px, {b['why']}: {b['text']!r}")
    return 0 if not m["bad"] and m["page_scroll_width"] <= m["page"] else 1


if __name__ == "__main__":
    sys.exit(main())
