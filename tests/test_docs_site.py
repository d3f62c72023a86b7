"""The docs site (mkdocs.yml) builds with --strict (no warning: every Markdown link, anchor and
API reference resolves), and every internal link of the built HTML points at a page that exists
and, with a #fragment, at an id on that page."""

from __future__ import annotations

import html.parser
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("mkdocs", reason="needs the docs extra (pip install 'triptych[docs]')")
pytest.importorskip("mkdocstrings", reason="needs the docs extra (pip install 'triptych[docs]')")


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    # As in a fresh clone: the hook lays out the source tree mkdocstrings reads before it looks.
    shutil.rmtree(ROOT / "build" / "docs_src", ignore_errors=True)
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                             str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr[-3000:]
    yield out
    shutil.rmtree(out, ignore_errors=True)


def test_site_builds_with_every_page_and_api_reference(site):
    for page in ("index.html", "deployment.html", "examples.html", "benchmarks.html",
                 "api/core.html", "api/vision.html", "api/audio.html", "api/text.html",
                 "api/datasets.html"):
        assert (site / page).is_file(), page
    for page in sorted((ROOT / "docs").rglob("*.md")):  # nav or not, every page is built
        assert (site / page.relative_to(ROOT / "docs")).with_suffix(".html").is_file(), page
    api = (site / "api" / "core.html").read_text()
    assert 'id="triptych.deploy.quantize_int8"' in api  # docstrings rendered
    benchmarks = (site / "benchmarks.html").read_text()
    first_heading = next(line for line in (ROOT / "benchmarks" / "RESULTS.md").read_text()
                         .splitlines() if line.startswith("# "))
    assert first_heading[2:].strip().split()[0] in benchmarks


def test_every_internal_link_resolves(site):
    pages = {p: _parse(p) for p in site.rglob("*.html")}
    broken, checked = [], 0
    for page, parsed in pages.items():
        for link in parsed.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:")):
                continue
            base = site if parts.path.startswith("/") else page.parent  # 404.html: site-absolute
            target = (base / unquote(parts.path).lstrip("/")).resolve() if parts.path else page
            checked += 1
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
            elif parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site)} -> {link} (no such anchor)")
    assert checked > 500 and not broken, "\n".join(broken[:30])
