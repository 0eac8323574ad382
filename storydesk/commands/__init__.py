"""One module per command (or family of commands); see storydesk.cli.COMMANDS."""
