"""Placeholder: filled in by the _augment work."""

__all__: list[str] = []
