"""Accounts, sign-in, roles per region and what each role may do."""
