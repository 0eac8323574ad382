"""Resharing approved testimonies: one module per target, the outbox pipeline, the gallery."""
