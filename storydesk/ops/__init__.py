"""Operations: the daemon and its jobs, locks and leases, status and alerts, metrics, logs."""
