"""A griffe extension for the docs site (mkdocs.yml): the project's docstrings head their doctests
``Example:``, which Google style reads as an admonition (Markdown, where ``x[1]`` looks like a
link) rather than an examples section (code). This renames the heading to ``Examples:``."""

from __future__ import annotations

import re

import griffe

_HEADING = re.compile(r"^(\s*)Example:\s*$", flags=re.M)


class ExampleSections(griffe.Extension):
    def on_instance(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _HEADING.sub(r"\1Examples:", obj.docstring.value)
