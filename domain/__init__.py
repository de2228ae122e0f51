"""Entities and data rules of the HR migration. Standard library only."""
