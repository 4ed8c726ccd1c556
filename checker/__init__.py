"""linkedin-ai-optout: keep a LinkedIn account's data out of generative-AI training."""

__version__ = "0.1.0"
