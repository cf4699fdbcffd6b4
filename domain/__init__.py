"""The vocabulary and rules of incident handling, free of I/O so workflows can import it."""
