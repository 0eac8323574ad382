"""Compliance: honour deletions at the source, refresh or drop old API data, minimise data.

One job: the sweep (`compliance.sweep.run_sweep`). It reads and writes through db/ only and
calls the platforms through the client builders in platforms/.
"""
