"""Idempotency-Key on POST: a retry replays the first response instead of writing twice."""
