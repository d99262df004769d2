"""Pure vocabulary of nacc: ids, accelerators, pools, jobs, lifecycle, events, errors.

Imports the standard library only.
"""
