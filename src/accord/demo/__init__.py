"""The demo: a brand's partner program driven end to end over HTTP."""
