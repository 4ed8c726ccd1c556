"""linkedin-ai-optout: keep a LinkedIn account's data out of generative-AI training."""

__version__ = "0.1.0"

# What --version prints: checker/__main__.py prints it before the command line loads, the command
# line's own option when other options come with it. Every command imports this module: it stays
# free of imports.
VERSION_LINE = f"linkedin-ai-optout {__version__}"
