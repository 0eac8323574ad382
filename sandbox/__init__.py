"""An offline twin of the platforms' APIs, for the demo and the tests.

It imports nothing of the app: it is the outside world. One port serves every platform on
the platforms' own paths, so a client only swaps scheme and host.
"""
