"""Synthetic but realistic native payloads for the demo and the benchmark (no real people)."""
