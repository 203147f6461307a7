"""Leads: people captured from every channel, known as one contact each, scored daily, and
handed to sales when they are ready."""
