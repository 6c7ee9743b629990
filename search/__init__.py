"""Meilisearch side of Jiebang: index settings, documents, the outbox worker, queries.

Imports ``market`` and ``matching``; never ``web``.
"""
