"""Placeholder: filled in by the _geometry work."""

__all__: list[str] = []
