"""Database operations by domain, shared by the API, the activities and the command line.

Functions take the session as a keyword argument so callers decide the transaction.
"""
