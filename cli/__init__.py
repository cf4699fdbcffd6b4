"""The `concordat` command line."""
