"""Accord: self-hosted partnership automation."""

__version__ = "0.1.0"
