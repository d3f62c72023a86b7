"""mkdocs hooks for the docs site (``hooks:`` in mkdocs.yml).

* ``benchmarks.md`` is generated from ``benchmarks/RESULTS.md`` (the file the benchmarks update),
  and the docs' links to ``../benchmarks/RESULTS.md`` point at it.
* The API reference is read from the sources statically (nothing imported): the package's folders
  are mapped to import names by setup.py (``core/`` is ``triptych``), so ``build/docs_src`` gets
  a ``triptych/`` tree of symlinks in that layout for mkdocstrings to read.
* ``api/<domain>.md`` (the API reference) is generated: one ``::: triptych.<domain>.<module>``
  block per public module or package of the domain's folder, so a module someone adds appears
  without editing the docs.
* A page under docs/ that the ``nav`` does not list is added under "More pages", so a page a
  helper adds is never hidden from the site.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

# site page -> file of the repository outside docs/
OUTSIDE = {"benchmarks.md": "benchmarks/RESULTS.md"}


def _nav_pages(nav) -> set[str]:
    pages: set[str] = set()
    for item in nav or []:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages |= _nav_pages(value)
        elif isinstance(value, str):
            pages.add(value)
    return pages


# import name -> folder, as setup.py's PACKAGE_DIRS
PACKAGE_DIRS = {"triptych": "core", "triptych.vision": "vision", "triptych.audio": "audio",
                "triptych.text": "text", "triptych.datasets": "datasets"}
SOURCE_TREE = "build/docs_src"


def _link_sources(root: Path) -> None:
    tree = root / SOURCE_TREE
    package = tree / "triptych"
    package.mkdir(parents=True, exist_ok=True)
    wanted = {}
    for entry in (root / PACKAGE_DIRS["triptych"]).iterdir():
        if entry.name.endswith(".py") or (entry / "__init__.py").is_file():
            wanted[entry.name] = entry
    for name, folder in PACKAGE_DIRS.items():
        if name != "triptych":
            wanted[name.split(".")[1]] = root / folder
    for link in package.iterdir():
        if link.is_symlink() and link.name not in wanted:
            link.unlink()
    for name, target in wanted.items():
        link = package / name
        if not link.is_symlink() or link.resolve() != target.resolve():
            if link.is_symlink():
                link.unlink()
            link.symlink_to(target.resolve())


def on_startup(command, dirty):
    # Before every plugin's on_config: mkdocstrings drops search paths that do not exist yet.
    _link_sources(Path(__file__).resolve().parent.parent)


def on_config(config):
    docs = Path(config.docs_dir)
    listed = _nav_pages(config.nav)
    extra = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    extra = [p for p in extra if p not in listed and p not in OUTSIDE]
    if extra and config.nav is not None:
        config.nav.append({"More pages": extra})
    return config


# API page -> (title, narrative pages, the core modules it documents; None: every public module)
API_PAGES = {
    "triptych": ("`triptych` (core)", ["core.md", "models.md", "deployment.md"],
                 ["deploy", "models", "device", "registry", "paths", "transforms"]),
    "triptych.vision": ("`triptych.vision`", ["vision-transforms.md", "vision-io.md",
                                              "vision-datasets.md", "vision-models.md",
                                              "vision-ops.md"], None),
    "triptych.audio": ("`triptych.audio`", ["audio.md"], None),
    "triptych.text": ("`triptych.text`", ["text.md"], None),
    "triptych.datasets": ("`triptych.datasets`", ["downloading.md", "distributed.md"], [""]),
}


def _public_modules(folder: Path) -> list[str]:
    names = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("_"):
            continue
        if entry.suffix == ".py" or (entry / "__init__.py").is_file():
            names.append(entry.stem)
    return names


def api_page(package: str, root: Path, docs: Path) -> str:
    title, narrative, modules = API_PAGES[package]
    if modules is None:
        modules = _public_modules(root / PACKAGE_DIRS[package])
    links = ", ".join(f"[{p.removesuffix('.md')}](../{p})" for p in narrative
                      if (docs / p).is_file())
    lines = [f"# API reference: {title}", ""]
    if links:
        lines += [f"Narrative pages: {links}.", ""]
    for module in modules:
        lines += [f"::: {package}.{module}" if module else f"::: {package}", ""]
    return "\n".join(lines)


def on_files(files, config):
    root = Path(config.config_file_path).parent
    for uri, source in OUTSIDE.items():
        files.append(File.generated(config, uri, abs_src_path=str(root / source)))
    for package in API_PAGES:
        uri = f"api/{package.removeprefix('triptych.') if '.' in package else 'core'}.md"
        files.append(File.generated(config, uri,
                                    content=api_page(package, root, Path(config.docs_dir))))
    return files


def on_page_markdown(markdown, page, config, files):
    for uri, source in OUTSIDE.items():
        markdown = markdown.replace(f"../{source}", uri)
    return markdown
