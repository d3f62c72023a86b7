"""Placeholder: filled in by the _color work."""

__all__: list[str] = []
