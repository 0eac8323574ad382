"""`storydesk review --web`: the review page, a second face on review.actions.

Served on 127.0.0.1 only, behind a token printed with its URL; every POST carries a CSRF
token; participants' words are escaped by Jinja2; the Content-Security-Policy lets no
script run but the page's own and no frame load but the platforms' players.
"""
