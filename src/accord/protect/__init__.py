"""Protect: fraud scoring of conversions and clicks, holds and their review."""
