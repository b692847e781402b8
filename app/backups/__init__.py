"""Backups of the whole database in one self-describing file, and restoring them.

``operations.py`` does the work (tests call it directly), ``commands.py`` holds
``flask --app app backup FILE`` and ``flask --app app restore FILE``.
"""
