"""Pieces every feature uses: database setup, formatting, errors, security, base routes."""
