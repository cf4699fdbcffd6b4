"""Measurements of Concordat's speed, run as separate commands (never timed tests)."""
