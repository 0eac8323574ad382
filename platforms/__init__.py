"""The one place platform clients are built from configuration (base URL, credentials,
timeouts). Harvester and publisher both build their clients here; no call site names a host.
"""
