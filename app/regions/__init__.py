"""Regions and their municipalities. Every conversation and action belongs to one region."""
