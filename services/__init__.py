"""Database operations by domain, shared by the API, the pages, the activities and the command
line; and, in `temporal_gateway`, every call to Temporal's client.

Every query and write the web app makes is here: routes and pages call these functions and hold
no SQL of their own. Functions take the session as a keyword argument so callers decide the
transaction.
"""
