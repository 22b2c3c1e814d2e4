"""Checkpoint savers and serializers; import from `checkpoint.base`, `.memory`, `.serde`."""
