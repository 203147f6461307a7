"""Engage: keeping partners active. Messages between a brand and a partner."""
