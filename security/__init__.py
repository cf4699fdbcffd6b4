"""Credentials: signed acknowledge links and API tokens."""
