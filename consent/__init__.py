"""The consent register: import signed forms, match posts to people with evidence, revoke."""
