"""storydesk: collect, consent-check, review and reshare campaign video testimonies."""

__version__ = "0.1.0"
