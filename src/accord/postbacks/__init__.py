"""Outbound postbacks: partners' URLs called, signed, when their commissions change."""
