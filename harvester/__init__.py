"""Collectors: one module per platform (fetch pages with the real client; turn a page into
posts, purely) and the pipeline that stores them with provenance."""
