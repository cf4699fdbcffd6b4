"""Reporting regimes as data: the bodies a council may have to tell, their names in Welsh and
English, what makes each due, and the deadlines of each stage of a report.

`format` reads and checks a regime file, `shipped` is the national default, `store` keeps the
regimes an administrator imported and gives the one in force, `changes` says what an import
would change.
"""
